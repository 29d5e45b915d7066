//! The errors of the API client: one transport-level [`Failure`], one enum per operation that
//! has failures the UI treats specially, and [`ApiError`] that rolls them all up. Every variant
//! keeps the server's [`ErrorBody`] message, so what the user reads is what the server said.

use wire::{ErrorBody, ErrorCode};

/// Why a request did not give the answer hoped for.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum Failure {
    /// The request never got an answer (offline, server down, CORS).
    #[error("The server cannot be reached ({0}).")]
    Network(String),
    /// The server answered with an error body.
    #[error("{body}")]
    Server {
        /// The HTTP status.
        status: u16,
        /// What the server said.
        body: ErrorBody,
    },
    /// The answer was not what this client understands.
    #[error("The server's answer could not be read ({0}).")]
    Decode(String),
}

impl Failure {
    /// The server's error code, if the server answered.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Failure::Server { body, .. } => Some(body.error.code),
            Failure::Network(_) | Failure::Decode(_) => None,
        }
    }

    /// Whether trying the same request again may work (no answer, or a 5xx / 429).
    pub fn is_transient(&self) -> bool {
        match self {
            Failure::Network(_) => true,
            Failure::Server { status, .. } => *status >= 500 || *status == 429,
            Failure::Decode(_) => false,
        }
    }

    /// Whether the token is no longer valid.
    pub fn is_unauthorized(&self) -> bool {
        self.code() == Some(ErrorCode::Unauthorized)
    }
}

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
    Failed(Failure),
}

impl From<Failure> for LoginError {
    fn from(f: Failure) -> Self {
        match f {
            Failure::Server { body, .. } if body.error.code == ErrorCode::BadCredentials => {
                LoginError::BadCredentials(body)
            }
            Failure::Server { body, .. } if body.error.code == ErrorCode::RateLimited => {
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
    Failed(Failure),
}

impl SendError {
    /// Whether a `Retry` makes sense.
    pub fn is_retryable(&self) -> bool {
        matches!(self, SendError::Failed(_))
    }
}

impl From<Failure> for SendError {
    fn from(f: Failure) -> Self {
        match f {
            Failure::Server { status, body } if (400..500).contains(&status) && status != 429 => {
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
    Failed(Failure),
}

impl From<Failure> for UploadError {
    fn from(f: Failure) -> Self {
        match f {
            Failure::Server { body, .. } if body.error.code == ErrorCode::TooLarge => {
                UploadError::TooLarge(body)
            }
            Failure::Server { body, .. }
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
    Failed(Failure),
}

impl From<Failure> for MarkDoneError {
    fn from(f: Failure) -> Self {
        match f {
            Failure::Server { body, .. } if body.error.code == ErrorCode::Unprocessable => {
                MarkDoneError::DispositionRequired(body)
            }
            other => MarkDoneError::Failed(other),
        }
    }
}

/// Every error of the client, for code that shows errors without caring which operation failed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ApiError {
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
    Request(#[from] Failure),
}

impl ApiError {
    /// The words to show the user.
    pub fn message(&self) -> String {
        self.to_string()
    }

    /// Whether the session has expired (the desktop goes back to the login screen).
    pub fn is_unauthorized(&self) -> bool {
        match self {
            ApiError::Request(f)
            | ApiError::Login(LoginError::Failed(f))
            | ApiError::Send(SendError::Failed(f))
            | ApiError::Upload(UploadError::Failed(f))
            | ApiError::MarkDone(MarkDoneError::Failed(f)) => f.is_unauthorized(),
            _ => false,
        }
    }
}
