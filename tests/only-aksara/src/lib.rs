//! A crate whose only dependency is `aksara` (no sqlx, chrono, uuid, serde or
//! axum in its `Cargo.toml`), so that an expansion of `#[derive(Model)]` naming a
//! crate the user does not depend on fails to build here. `Uuid`, `DateTime<Utc>`,
//! `NaiveDate` and `Json` come from `aksara::prelude`.
#![deny(warnings)]

use aksara::prelude::*;

/// A model using every type the prelude brings.
#[derive(Model, Debug, Clone)]
pub struct Event {
    #[field(primary_key)]
    pub id: Uuid,
    #[field(auto_now_add)]
    pub created_at: DateTime<Utc>,
    pub day: NaiveDate,
    pub labels: Json<Vec<String>>,
    pub payload: Option<Json<Vec<String>>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "current_thread")]
    async fn the_model_migrates_saves_and_queries() {
        let db = Db::connect("sqlite::memory:").await.unwrap();
        db.migrate().await.unwrap();
        let day = NaiveDate::from_ymd_opt(2025, 1, 31).unwrap();
        Event::objects()
            .create()
            .id(Uuid::new_v4())
            .day(day)
            .labels(Json(vec!["a".into()]))
            .exec(&db)
            .await
            .unwrap();
        let found = Event::objects()
            .filter(Event::DAY.gte(day) & Event::PAYLOAD.is_null(true))
            .order_by(Event::CREATED_AT.desc())
            .all(&db)
            .await
            .unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].labels.0, ["a"]);
        // The crates behind the prelude are reachable through `aksara` when needed.
        let _: aksara::uuid::Uuid = found[0].id;
        let _: aksara::chrono::NaiveDate = found[0].day;
    }
}
