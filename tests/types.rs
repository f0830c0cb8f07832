//! Every supported field type round-trips on every backend, with `Some` and `None`.

use aksara::prelude::*;
use aksara_tests::on_each_database;
use serde::{Deserialize, Serialize};

/// A JSON payload with structure.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// A theme name.
    pub theme: String,
    /// Some numbers.
    pub sizes: Vec<u32>,
}

/// One field of every type.
#[derive(Model, Debug, Clone, PartialEq)]
#[model(table = "every_types")]
pub struct Everything {
    /// Key.
    #[field(primary_key)]
    pub id: Uuid,
    /// bool
    pub flag: bool,
    /// i16
    pub small: i16,
    /// i32
    pub medium: i32,
    /// i64
    pub big: i64,
    /// f32
    pub single: f32,
    /// f64
    pub double: f64,
    /// String
    pub text: String,
    /// `Vec<u8>`
    pub bytes: Vec<u8>,
    /// Uuid
    pub token: Uuid,
    /// `DateTime<Utc>`
    pub at: DateTime<Utc>,
    /// `NaiveDate`
    pub day: NaiveDate,
    /// `serde_json::Value`
    pub raw_json: serde_json::Value,
    /// `Json<T>`
    pub settings: Json<Settings>,
    /// `Option<bool>`
    pub maybe_flag: Option<bool>,
    /// `Option<i16>`
    pub maybe_small: Option<i16>,
    /// `Option<i32>`
    pub maybe_medium: Option<i32>,
    /// `Option<i64>`
    pub maybe_big: Option<i64>,
    /// `Option<f32>`
    pub maybe_single: Option<f32>,
    /// `Option<f64>`
    pub maybe_double: Option<f64>,
    /// `Option<String>`
    pub maybe_text: Option<String>,
    /// `Option<Vec<u8>>`
    pub maybe_bytes: Option<Vec<u8>>,
    /// `Option<Uuid>`
    pub maybe_token: Option<Uuid>,
    /// `Option<DateTime<Utc>>`
    pub maybe_at: Option<DateTime<Utc>>,
    /// `Option<NaiveDate>`
    pub maybe_day: Option<NaiveDate>,
    /// `Option<serde_json::Value>`
    pub maybe_raw_json: Option<serde_json::Value>,
    /// `Option<Json<T>>`
    pub maybe_settings: Option<Json<Settings>>,
}

fn sample(present: bool) -> Everything {
    let at = DateTime::from_timestamp_micros(1_700_000_000_123_456).expect("timestamp");
    let day = NaiveDate::from_ymd_opt(2024, 2, 29).expect("date");
    let settings = Json(Settings {
        theme: "dark ünicode ✓".into(),
        sizes: vec![1, 2, 3],
    });
    let raw = serde_json::json!({"a": [1, 2.5, null, true], "b": {"c": "d"}});
    Everything {
        id: Uuid::new_v4(),
        flag: true,
        small: i16::MIN,
        medium: i32::MAX,
        big: i64::MIN,
        single: 1.5,
        double: -2.25e100,
        text: "it's \"quoted\"; DROP TABLE x; -- ✓".into(),
        bytes: vec![0, 159, 146, 150, 255],
        token: Uuid::new_v4(),
        at,
        day,
        raw_json: raw.clone(),
        settings: settings.clone(),
        maybe_flag: present.then_some(false),
        maybe_small: present.then_some(i16::MAX),
        maybe_medium: present.then_some(i32::MIN),
        maybe_big: present.then_some(i64::MAX),
        maybe_single: present.then_some(-0.5),
        maybe_double: present.then_some(1e-300),
        maybe_text: present.then(String::new),
        maybe_bytes: present.then(Vec::new),
        maybe_token: present.then(Uuid::new_v4),
        maybe_at: present.then_some(at),
        maybe_day: present.then_some(day),
        maybe_raw_json: present.then_some(raw),
        maybe_settings: present.then_some(settings),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_type_round_trips_with_and_without_values() {
    on_each_database(async |db, l| {
        for present in [true, false] {
            let mut original = sample(present);
            original
                .save(&db)
                .await
                .unwrap_or_else(|err| panic!("{}: save: {err}", l));
            let loaded = Everything::objects()
                .get(&db, Everything::ID.eq(original.id))
                .await
                .unwrap_or_else(|err| panic!("{}: load: {err}", l));
            assert_eq!(loaded, original, "{} (values present: {present})", l);
            // Typed filters on each kind find the row again.
            let found = Everything::objects()
                .filter(Everything::TOKEN.eq(original.token))
                .filter(Everything::AT.eq(original.at))
                .filter(Everything::DAY.eq(original.day))
                .filter(Everything::BYTES.eq(original.bytes.clone()))
                .filter(Everything::SMALL.eq(i16::MIN))
                .filter(Everything::FLAG.eq(true))
                .count(&db)
                .await
                .unwrap_or_else(|err| panic!("{}: filter: {err}", l));
            assert_eq!(found, 1, "{}", l);
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn create_builder_accepts_each_type() {
    on_each_database(async |db, l| {
        let value = sample(true);
        let created = Everything::objects()
            .create()
            .flag(value.flag)
            .small(value.small)
            .medium(value.medium)
            .big(value.big)
            .single(value.single)
            .double(value.double)
            .text(value.text.as_str())
            .bytes(value.bytes.clone())
            .token(value.token)
            .at(value.at)
            .day(value.day)
            .raw_json(value.raw_json.clone())
            .settings(value.settings.clone())
            .maybe_text("some")
            .maybe_big(5)
            .exec(&db)
            .await
            .unwrap_or_else(|err| panic!("{}: create: {err}", l));
        assert_eq!(created.maybe_text.as_deref(), Some("some"), "{}", l);
        assert_eq!(created.maybe_big, Some(5), "{}", l);
        assert!(created.maybe_day.is_none(), "{}", l);
        let reloaded = Everything::objects()
            .get(&db, Everything::ID.eq(created.id))
            .await
            .expect("reload");
        assert_eq!(reloaded, created, "{}", l);
    })
    .await;
}
