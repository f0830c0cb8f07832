//! `Uuid`, `DateTime<Utc>`, `NaiveDate` and `Json` come from `aksara::prelude`, and
//! the expansion needs nothing else: this crate depends on `aksara` alone (no
//! sqlx, chrono, uuid or serde in its `Cargo.toml`).
#![deny(warnings)]

use aksara::prelude::*;

#[derive(Model, Debug, Clone)]
pub struct Event {
    #[field(primary_key)]
    pub id: Uuid,
    #[field(auto_now_add)]
    pub created_at: DateTime<Utc>,
    pub day: NaiveDate,
    pub labels: Json<Vec<String>>,
    pub payload: Option<Json<Vec<(String, i64)>>>,
}

fn main() {
    let day = NaiveDate::from_ymd_opt(2025, 1, 31).unwrap();
    let event = Event {
        id: Uuid::nil(),
        created_at: Utc::now(),
        day,
        labels: Json(vec!["a".into()]),
        payload: None,
    };
    assert!(event.created_at > DateTime::UNIX_EPOCH);
    assert_eq!(event.labels.len(), 1);
    let sql = Event::objects()
        .filter(Event::DAY.gte(day) & Event::ID.ne(Uuid::nil()) & Event::PAYLOAD.is_null(true))
        .order_by(Event::CREATED_AT.desc())
        .to_sql(Backend::Sqlite);
    assert!(sql.sql().starts_with("SELECT"));
    // The crates behind the prelude are reachable through `aksara` when needed.
    let _: aksara::uuid::Uuid = event.id;
    let _: aksara::chrono::NaiveDate = day;
}
