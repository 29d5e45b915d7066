//! The errors of the API client: the transport-level [`TransportError`] of `client`, one enum
//! per operation that has failures the UI treats specially, and [`ClientError`] that rolls them
//! all up (the name `ClientError` is the server's). Every variant keeps the server's [`ErrorBody`]
//! message, so what the user reads is what the server said.

use client::TransportError;
use wire::{ErrorBody, ErrorCode};

/// `POST /api/auth/login`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LoginError {
    /// Wrong login name or password.
    #[error("{0}")]
    BadCredentials(ErrorBody),
    /// Too many attempts.
    #[error("{0}")]
    RateLimited(ErrorBody),
    /// Anything else.
    #[error(transparent)]
    Failed(TransportError),
}

impl From<TransportError> for LoginError {
    fn from(f: TransportError) -> Self {
        match f {
            TransportError::Server { body, .. } if body.error.code == ErrorCode::BadCredentials => {
                LoginError::BadCredentials(body)
            }
            TransportError::Server { body, .. } if body.error.code == ErrorCode::RateLimited => {
                LoginError::RateLimited(body)
            }
            other => LoginError::Failed(other),
        }
    }
}

/// `POST /api/contacts/{id}/messages`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SendError {
    /// The server refused this message; sending it again will not help.
    #[error("{0}")]
    Refused(ErrorBody),
    /// It may not have arrived; a retry with the same client id is safe.
    #[error(transparent)]
    Failed(TransportError),
}

impl SendError {
    /// Whether a `Retry` makes sense.
    pub fn is_retryable(&self) -> bool {
        matches!(self, SendError::Failed(_))
    }
}

impl From<TransportError> for SendError {
    fn from(f: TransportError) -> Self {
        match f {
            TransportError::Server { status, body }
                if (400..500).contains(&status) && status != 429 =>
            {
                SendError::Refused(body)
            }
            other => SendError::Failed(other),
        }
    }
}

/// `POST /api/attachments`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UploadError {
    /// The file is larger than allowed.
    #[error("{0}")]
    TooLarge(ErrorBody),
    /// Not an accepted image.
    #[error("{0}")]
    NotAnImage(ErrorBody),
    /// Anything else.
    #[error(transparent)]
    Failed(TransportError),
}

impl From<TransportError> for UploadError {
    fn from(f: TransportError) -> Self {
        match f {
            TransportError::Server { body, .. } if body.error.code == ErrorCode::TooLarge => {
                UploadError::TooLarge(body)
            }
            TransportError::Server { body, .. }
                if matches!(
                    body.error.code,
                    ErrorCode::UnsupportedMediaType | ErrorCode::InvalidInput
                ) =>
            {
                UploadError::NotAnImage(body)
            }
            other => UploadError::Failed(other),
        }
    }
}

/// `POST /api/interactions/{id}/done`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MarkDoneError {
    /// A disposition code is required.
    #[error("{0}")]
    DispositionRequired(ErrorBody),
    /// Anything else.
    #[error(transparent)]
    Failed(TransportError),
}

impl From<TransportError> for MarkDoneError {
    fn from(f: TransportError) -> Self {
        match f {
            TransportError::Server { body, .. } if body.error.code == ErrorCode::Unprocessable => {
                MarkDoneError::DispositionRequired(body)
            }
            other => MarkDoneError::Failed(other),
        }
    }
}

/// Every error of the client, for code that shows errors without caring which operation failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ClientError {
    /// Logging in.
    #[error(transparent)]
    Login(#[from] LoginError),
    /// Sending a message.
    #[error(transparent)]
    Send(#[from] SendError),
    /// Uploading an image.
    #[error(transparent)]
    Upload(#[from] UploadError),
    /// Marking an interaction Done.
    #[error(transparent)]
    MarkDone(#[from] MarkDoneError),
    /// Any other operation.
    #[error(transparent)]
    Request(#[from] TransportError),
}

impl ClientError {
    /// The words to show the user.
    pub fn message(&self) -> String {
        self.to_string()
    }

    /// Whether the session has expired (the desktop goes back to the login screen).
    pub fn is_unauthorized(&self) -> bool {
        match self {
            ClientError::Request(f)
            | ClientError::Login(LoginError::Failed(f))
            | ClientError::Send(SendError::Failed(f))
            | ClientError::Upload(UploadError::Failed(f))
            | ClientError::MarkDone(MarkDoneError::Failed(f)) => f.is_unauthorized(),
            _ => false,
        }
    }
}
