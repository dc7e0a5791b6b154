//! A partial's lead: the first bytes of its input, raw, kept for a merge that must scan them
//! again. Saved as a JSON string when they are UTF-8 (NDJSON exports are), else in base64.

/// The first bytes of a partial's input.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Lead {
    pub(crate) bytes: Vec<u8>,
    /// The lead is the whole input of the partial.
    pub(crate) whole: bool,
}

/// The saved form: exactly one of `text` and `base64`.
#[derive(serde::Serialize, serde::Deserialize)]
struct Saved {
    whole: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    base64: Option<String>,
}

impl serde::Serialize for Lead {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (text, base64) = match std::str::from_utf8(&self.bytes) {
            Ok(text) => (Some(text.to_string()), None),
            Err(_) => (None, Some(encode(&self.bytes))),
        };
        Saved {
            whole: self.whole,
            text,
            base64,
        }
        .serialize(s)
    }
}

impl<'de> serde::Deserialize<'de> for Lead {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let saved = Saved::deserialize(d)?;
        let bytes = match (saved.text, saved.base64) {
            (Some(text), None) => text.into_bytes(),
            (None, Some(b64)) => {
                decode(&b64).ok_or_else(|| serde::de::Error::custom("lead: invalid base64"))?
            }
            _ => {
                return Err(serde::de::Error::custom(
                    "lead: exactly one of `text` and `base64`",
                ))
            }
        };
        Ok(Lead {
            bytes,
            whole: saved.whole,
        })
    }
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding (RFC 4648).
fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn decode(text: &str) -> Option<Vec<u8>> {
    let text = text.as_bytes();
    if !text.len().is_multiple_of(4) {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    for chunk in text.chunks(4) {
        let pad = chunk.iter().rev().take_while(|&&c| c == b'=').count();
        if pad > 2 {
            return None;
        }
        let mut n = 0u32;
        for &c in &chunk[..4 - pad] {
            let v = ALPHABET.iter().position(|&a| a == c)?;
            n = n << 6 | v as u32;
        }
        n <<= 6 * pad as u32;
        let got = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
        out.extend_from_slice(&got[..3 - pad]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::{decode, encode, Lead};

    #[test]
    fn base64_round_trips_every_length() {
        for n in 0..8 {
            let bytes: Vec<u8> = (0..n).map(|i| 0xfd_u8.wrapping_add(i * 37)).collect();
            assert_eq!(decode(&encode(&bytes)).as_deref(), Some(&bytes[..]), "{n}");
        }
        assert_eq!(encode(b"foobar"), "Zm9vYmFy");
        assert_eq!(encode(b"fo"), "Zm8=");
        assert_eq!(decode("Zm9=v"), None);
    }

    #[test]
    fn a_lead_is_text_when_it_can_be_and_base64_otherwise() {
        for bytes in [&b"{\"a\":1}\n"[..], b"\xff\xfe{}\n"] {
            let lead = Lead {
                bytes: bytes.to_vec(),
                whole: true,
            };
            let json = serde_json::to_string(&lead).expect("json");
            assert_eq!(json.contains("base64"), bytes[0] == 0xff, "{json}");
            assert_eq!(serde_json::from_str::<Lead>(&json).expect("back"), lead);
        }
    }
}
