//! JSON bodies from outside: every request body the server reads and every event a browser
//! decodes is parsed without a panic, and what parses survives a round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wire::api::{
    AgentSendRequest, ContactPatch, LoginRequest, ReceiptRequest, VisitorSendRequest,
    VisitorSessionRequest,
};

fn round_trip<T>(data: &[u8])
where
    T: serde::de::DeserializeOwned + serde::Serialize + PartialEq + std::fmt::Debug,
{
    if let Ok(value) = serde_json::from_slice::<T>(data) {
        let again = serde_json::to_vec(&value).expect("serialises");
        let back: T = serde_json::from_slice(&again).expect("reads its own output");
        assert_eq!(back, value);
    }
}

fuzz_target!(|data: &[u8]| {
    round_trip::<VisitorSessionRequest>(data);
    round_trip::<VisitorSendRequest>(data);
    round_trip::<AgentSendRequest>(data);
    round_trip::<ReceiptRequest>(data);
    round_trip::<ContactPatch>(data);
    round_trip::<LoginRequest>(data);
    if let Ok(text) = std::str::from_utf8(data) {
        for name in wire::Event::NAMES {
            let _ = wire::Event::decode(name, text);
        }
    }
});
