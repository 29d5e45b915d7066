//! Attacks from the security review (issue 13, finding 11), run against the real server on
//! SQLite and PostgreSQL: handle-time segments that overflow, overlap or lie outside the
//! interaction, receipts beyond the last message, taking a colleague's offered or reserved
//! chat, image metadata (GPS EXIF) and animations with too many frames.

mod common;

use common::{client_id, now_ms, Backend, Caller, Server};
use reqwest::Method;
use serde_json::{json, Value};
use wire::api::SendResponse;
use wire::{Event, InteractionState, InteractionView};

on_both!(
    handle_time_segments_are_bounded_and_never_overlap,
    receipts_stop_at_the_last_message,
    only_the_holder_takes_an_offered_or_reserved_chat,
    uploaded_images_lose_their_metadata_and_long_animations_are_refused,
);

/// A visitor writes, Ann (Ready) is offered the chat and accepts it.
async fn accepted_chat(
    s: &Server,
    ann: &common::Agent,
) -> (common::Visitor, InteractionView, common::Events) {
    let mut ev = ann.events().await;
    ann.ready().await;
    let v = s.visitor("Hana").await;
    v.say("hello").await;
    let offer = ev.offer("offer to ann").await;
    let chat = ann.accept(offer.interaction.id).await;
    (v, chat, ev)
}

async fn handle_time_segments_are_bounded_and_never_overlap(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let ann = s.agent("ann").await;
    let (v, chat, _ev) = accepted_chat(&s, &ann).await;
    let path = format!("/api/interactions/{}/handle-time", chat.id);
    let post = |started: i64, ended: i64| {
        let path = path.clone();
        let ann = &ann;
        async move {
            ann.call(
                Method::POST,
                &path,
                Some(json!({"started_at": started, "ended_at": ended})),
            )
            .await
        }
    };
    // Overflowing and inverted lengths are 400s, not a 500 or a huge positive length.
    let (st, body) = post(i64::MIN, i64::MAX).await;
    assert_eq!(st, 400, "{body}");
    let (st, body) = post(i64::MAX, i64::MIN).await;
    assert_eq!(st, 400, "{body}");
    let now = now_ms();
    let (st, body) = post(now, now - 1).await;
    assert_eq!(st, 400, "{body}");
    // Longer than a day, or before the interaction existed.
    let (st, body) = post(now - 25 * 3_600_000, now).await;
    assert_eq!(st, 400, "{body}");
    let (st, body) = post(chat.created_at - 3_600_000, chat.created_at - 3_000_000).await;
    assert_eq!(st, 422, "{body}");
    assert_eq!(body["error"]["code"], "unprocessable");
    // A segment, then one overlapping it (a second tab), then one right after it.
    let (st, body) = post(now - 10_000, now - 5_000).await;
    assert_eq!(st, 204, "{body}");
    let (st, body) = post(now - 7_000, now - 2_000).await;
    assert_eq!(st, 409, "{body}");
    assert_eq!(body["error"]["code"], "conflict");
    let (st, body) = post(now - 5_000, now - 1_000).await;
    assert_eq!(st, 204, "{body}");
    let history: Vec<InteractionView> = ann
        .get(&format!("/api/contacts/{}/interactions", v.contact))
        .await;
    let recorded = history.iter().find(|i| i.id == chat.id).expect("the chat");
    assert_eq!(recorded.handle_time_ms, 9_000);
}

async fn receipts_stop_at_the_last_message(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let ann = s.agent("ann").await;
    let (v, _chat, mut ann_ev) = accepted_chat(&s, &ann).await;
    let mut v_ev = v.events().await;
    let sent: SendResponse = ann
        .post(
            &format!("/api/contacts/{}/messages", v.contact),
            json!({"client_id": client_id(), "text": "How can I help?"}),
        )
        .await;
    let last = sent.message.seq;
    // The visitor claims to have read far beyond the conversation: Ann hears "up to last".
    v.post::<Value>(
        "/api/visitor/receipts",
        json!({"up_to_seq": 1_000_000_000_i64, "read": true}),
    )
    .await;
    let r = ann_ev
        .until("the visitor's read receipt", |e| {
            matches!(e, Event::Receipt { read: true, .. })
        })
        .await;
    let Event::Receipt { up_to_seq, .. } = r.event else {
        unreachable!("until matched a receipt")
    };
    assert_eq!(up_to_seq, last);
    // The same the other way.
    let said = v.say("I have a question").await;
    ann.post::<Value>(
        &format!("/api/contacts/{}/receipts", v.contact),
        json!({"up_to_seq": i64::MAX, "read": true}),
    )
    .await;
    let r = v_ev
        .until("the agent's read receipt", |e| {
            matches!(e, Event::Receipt { read: true, .. })
        })
        .await;
    let Event::Receipt { up_to_seq, .. } = r.event else {
        unreachable!("until matched a receipt")
    };
    assert_eq!(up_to_seq, said.seq);
    // A later message is unread for the visitor: the read mark did not run ahead.
    ann.post::<SendResponse>(
        &format!("/api/contacts/{}/messages", v.contact),
        json!({"client_id": client_id(), "text": "Sure."}),
    )
    .await;
    let again = s
        .call(
            Method::POST,
            "/api/visitor/session",
            None,
            Some(json!({"visitor_token": v.token})),
        )
        .await;
    assert_eq!(again.0, 200, "{}", again.1);
    assert_eq!(again.1["unread"], 1, "{}", again.1);
}

async fn only_the_holder_takes_an_offered_or_reserved_chat(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let ann = s.agent("ann").await;
    let ben = s.agent("ben").await;
    let mut ann_ev = ann.events().await;
    ann.ready().await;
    let v = s.visitor("Ola").await;
    v.say("hello?").await;
    let offer = ann_ev.offer("offer to ann").await;
    let contact = format!("/api/contacts/{}", v.contact);
    // Ben can neither answer into Ann's offer nor take it with Chat.
    let take = |path: String, body: Value| {
        let ben = &ben;
        async move { ben.call(Method::POST, &path, Some(body)).await }
    };
    for (path, body) in [
        (
            format!("{contact}/messages"),
            json!({"client_id": client_id(), "text": "mine now"}),
        ),
        (
            format!("{contact}/messages"),
            json!({"client_id": client_id(), "text": "mine now", "source": "communication_tab"}),
        ),
        (format!("{contact}/chat"), json!({})),
    ] {
        let (st, res) = take(path.clone(), body).await;
        assert_eq!(st, 409, "{path}: {res}");
        assert_eq!(res["error"]["code"], "held_by_colleague", "{res}");
        assert!(
            res["error"]["message"]
                .as_str()
                .unwrap_or("")
                .contains("offered to another agent"),
            "{res}"
        );
    }
    // Ann, who holds it, accepts; she writes, ends and closes the chat.
    let chat = ann.accept(offer.interaction.id).await;
    ann.post::<SendResponse>(
        &format!("{contact}/messages"),
        json!({"client_id": client_id(), "text": "Hi Ola"}),
    )
    .await;
    ann.post::<InteractionView>(&format!("/api/interactions/{}/end", chat.id), json!({}))
        .await;
    ann.post::<InteractionView>(
        &format!("/api/interactions/{}/done", chat.id),
        json!({"disposition": "resolved"}),
    )
    .await;
    // Ola answers: the chat is reserved for Ann, and Ben still cannot take it.
    v.say("one more thing").await;
    ann_ev
        .until("contact responded", |e| {
            matches!(e, Event::ContactResponded { .. })
        })
        .await;
    let (st, res) = take(
        format!("{contact}/messages"),
        json!({"client_id": client_id(), "text": "I'll take it"}),
    )
    .await;
    assert_eq!(st, 409, "{res}");
    assert_eq!(res["error"]["code"], "held_by_colleague", "{res}");
    assert!(
        res["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("reserved for another agent"),
        "{res}"
    );
    let (st, res) = take(format!("{contact}/chat"), json!({})).await;
    assert_eq!(
        (st, &res["error"]["code"]),
        (409, &json!("held_by_colleague"))
    );
    // Ann takes it.
    let taken: InteractionView = ann.post(&format!("{contact}/chat"), json!({})).await;
    assert_eq!(taken.state, InteractionState::Active);
    assert_eq!(taken.agent_id, Some(ann.id));
}

/// A JPEG (2×2, baseline; entropy data not a real picture) whose APP1 carries EXIF with GPS
/// coordinates and a camera name, plus a comment.
fn jpeg_with_gps() -> Vec<u8> {
    let mut j = vec![0xFF, 0xD8];
    let segment = |j: &mut Vec<u8>, marker: u8, body: &[u8]| {
        j.extend_from_slice(&[0xFF, marker]);
        let len = u16::try_from(body.len() + 2).expect("segment length");
        j.extend_from_slice(&len.to_be_bytes());
        j.extend_from_slice(body);
    };
    segment(&mut j, 0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0");
    let mut exif = b"Exif\0\0MM\0\x2a\0\0\0\x08".to_vec();
    exif.extend_from_slice(b"GPSLatitude 59.3293N GPSLongitude 18.0686E CameraMakeSecretPhone");
    segment(&mut j, 0xE1, &exif);
    segment(&mut j, 0xFE, b"taken at home");
    segment(&mut j, 0xDB, &[0; 65]);
    segment(&mut j, 0xC0, &[8, 0, 2, 0, 2, 1, 1, 0x11, 0]);
    segment(&mut j, 0xDA, &[1, 1, 0, 0, 0x3F, 0]);
    j.extend_from_slice(&[0x12, 0x34, 0x56, 0x78]);
    j.extend_from_slice(&[0xFF, 0xD9]);
    j
}

/// A GIF with `n` 1×1 frames.
fn gif(n: usize) -> Vec<u8> {
    let mut g = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff".to_vec();
    for _ in 0..n {
        g.extend_from_slice(b"\x21\xf9\x04\x00\x0a\x00\x00\x00");
        g.extend_from_slice(b"\x2c\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02\x44\x01\x00");
    }
    g.push(0x3B);
    g
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// A 1×1 PNG with `chunks` (type, data) inserted after its header.
fn png_with(chunks: &[(&[u8; 4], Vec<u8>)]) -> Vec<u8> {
    let base: &[u8] = &[
        0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, 0x49, 0x48, 0x44, 0x52, 0,
        0, 0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1F, 0x15, 0xC4, 0x89, 0, 0, 0, 0x0D, 0x49, 0x44,
        0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0, 0x1F, 0, 0x05, 0x00, 0x01, 0xFF,
        0x89, 0x99, 0x3D, 0x1D, 0, 0, 0, 0, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
    ];
    let mut png = base[..33].to_vec();
    for (kind, data) in chunks {
        png.extend_from_slice(&u32::try_from(data.len()).expect("len").to_be_bytes());
        let mut typed = kind.to_vec();
        typed.extend_from_slice(data);
        png.extend_from_slice(&typed);
        png.extend_from_slice(&crc32(&typed).to_be_bytes());
    }
    png.extend_from_slice(&base[33..]);
    png
}

async fn uploaded_images_lose_their_metadata_and_long_animations_are_refused(b: Backend) {
    let s = Server::start(b, |_| {}).await;
    let v = s.visitor("Pia").await;
    let upload = |bytes: Vec<u8>, name: &'static str| {
        common::upload_as(&s, &v.token, "/api/visitor/attachments", bytes, name, None)
    };
    let download = |url: String| {
        let base = s.base.clone();
        async move {
            let r = reqwest::get(format!("{base}{url}"))
                .await
                .expect("download");
            assert_eq!(r.status().as_u16(), 200);
            r.bytes().await.expect("bytes").to_vec()
        }
    };
    // A photo with GPS EXIF: stored without it, still the same picture data.
    let photo = jpeg_with_gps();
    let (st, view) = upload(photo.clone(), "photo.jpg").await;
    assert_eq!(st, 200, "{view}");
    assert_eq!(view["content_type"], "image/jpeg");
    assert_eq!(
        (view["width"].as_u64(), view["height"].as_u64()),
        (Some(2), Some(2))
    );
    let stored = download(view["url"].as_str().expect("url").to_owned()).await;
    assert!(common::holds_bytes(&photo, b"GPSLatitude"));
    for secret in [
        &b"Exif"[..],
        b"GPSLatitude",
        b"SecretPhone",
        b"taken at home",
    ] {
        assert!(
            !common::holds_bytes(&stored, secret),
            "{:?} kept",
            String::from_utf8_lossy(secret)
        );
    }
    assert!(stored.starts_with(&[0xFF, 0xD8]) && stored.ends_with(&[0xFF, 0xD9]));
    assert!(
        common::holds_bytes(&stored, &[0x12, 0x34, 0x56, 0x78]),
        "picture data kept"
    );
    // A PNG's EXIF and text chunks go too.
    let png = png_with(&[
        (b"eXIf", b"MM\0\x2a GPS 59N".to_vec()),
        (b"tEXt", b"Comment\0at home".to_vec()),
    ]);
    let (st, view) = upload(png, "shot.png").await;
    assert_eq!(st, 200, "{view}");
    let stored = download(view["url"].as_str().expect("url").to_owned()).await;
    assert!(!common::holds_bytes(&stored, b"eXIf") && !common::holds_bytes(&stored, b"at home"));
    assert!(common::holds_bytes(&stored, b"IDAT"));
    // Animations: at the limit accepted, above it a 400.
    let max = usize::try_from(wire::limits::MAX_IMAGE_FRAMES).expect("frames");
    let (st, view) = upload(gif(max), "ok.gif").await;
    assert_eq!(st, 200, "{view}");
    let (st, body) = upload(gif(max + 1), "long.gif").await;
    assert_eq!(st, 400, "{body}");
    assert_eq!(body["error"]["code"], "invalid_input");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("frames"),
        "{body}"
    );
    let apng = png_with(&[(
        b"acTL",
        [100_000u32.to_be_bytes(), 0u32.to_be_bytes()].concat(),
    )]);
    let (st, body) = upload(apng, "long.png").await;
    assert_eq!(st, 400, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("frames"),
        "{body}"
    );
}
