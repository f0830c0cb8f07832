//! The model layer against hand-written sqlx doing the same work, measured in one
//! run: get by primary key, `filter(..).first()`, insert one row, fetch 100 rows.
//! SQLite always; PostgreSQL too when `AKSARA_TEST_POSTGRES_URL` is set.
//!
//! Run: `cargo bench -p aksara --bench orm_vs_sqlx`. After criterion's own report
//! it prints a table of medians and ORM/sqlx ratios (the bar is 1.15).

use std::hint::black_box;
use std::time::{Duration, Instant};

use aksara::prelude::*;
use criterion::{Criterion, criterion_group};
use sqlx::Row as _;

/// The benchmarked model.
#[derive(Model, Debug, Clone)]
#[model(table = "bench_items")]
pub struct Item {
    /// Key.
    #[field(primary_key)]
    pub id: i64,
    /// Text.
    #[field(max_length = 100)]
    pub name: String,
    /// Indexed number.
    #[field(index)]
    pub score: i64,
    /// Flag.
    pub active: bool,
}

const SEED_ROWS: i64 = 1000;

/// The hand-written side: the same pool settings, SQL written by hand.
enum Raw {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

struct Target {
    label: &'static str,
    db: Db,
    raw: Raw,
}

fn item_from(id: i64, name: String, score: i64, active: bool) -> Item {
    Item {
        id,
        name,
        score,
        active,
    }
}

macro_rules! raw_ops {
    ($pool:expr, $p1:literal, $p2:literal, $p3:literal) => {{
        let pool = $pool;
        RawOps {
            get: Box::new(move |id| {
                let pool = pool.clone();
                Box::pin(async move {
                    let row = sqlx::query(concat!(
                        "SELECT id, name, score, active FROM bench_items WHERE id = ",
                        $p1
                    ))
                    .bind(id)
                    .fetch_one(&pool)
                    .await
                    .unwrap();
                    vec![item_from(row.get(0), row.get(1), row.get(2), row.get(3))]
                })
            }),
            first: Box::new({
                let pool = $pool.clone();
                move |score| {
                    let pool = pool.clone();
                    Box::pin(async move {
                        let row = sqlx::query(concat!(
                            "SELECT id, name, score, active FROM bench_items WHERE score = ",
                            $p1,
                            " ORDER BY id LIMIT 1"
                        ))
                        .bind(score)
                        .fetch_optional(&pool)
                        .await
                        .unwrap();
                        row.map(|row| item_from(row.get(0), row.get(1), row.get(2), row.get(3)))
                            .into_iter()
                            .collect()
                    })
                }
            }),
            insert: Box::new({
                let pool = $pool.clone();
                move |score| {
                    let pool = pool.clone();
                    Box::pin(async move {
                        let name = format!("raw {score}");
                        let id: i64 = sqlx::query_scalar(concat!(
                            "INSERT INTO bench_items (name, score, active) VALUES (",
                            $p1,
                            ", ",
                            $p2,
                            ", ",
                            $p3,
                            ") RETURNING id"
                        ))
                        .bind(&name)
                        .bind(score)
                        .bind(true)
                        .fetch_one(&pool)
                        .await
                        .unwrap();
                        vec![item_from(id, name, score, true)]
                    })
                }
            }),
            page: Box::new({
                let pool = $pool.clone();
                move |_| {
                    let pool = pool.clone();
                    Box::pin(async move {
                        sqlx::query(
                            "SELECT id, name, score, active FROM bench_items ORDER BY id LIMIT 100",
                        )
                        .fetch_all(&pool)
                        .await
                        .unwrap()
                        .into_iter()
                        .map(|row| item_from(row.get(0), row.get(1), row.get(2), row.get(3)))
                        .collect()
                    })
                }
            }),
        }
    }};
}

type Op = Box<
    dyn Fn(i64) -> std::pin::Pin<Box<dyn std::future::Future<Output = Vec<Item>> + Send>>
        + Send
        + Sync,
>;

struct RawOps {
    get: Op,
    first: Op,
    insert: Op,
    page: Op,
}

fn raw_ops(raw: &Raw) -> RawOps {
    match raw {
        Raw::Sqlite(pool) => raw_ops!(pool.clone(), "?", "?", "?"),
        Raw::Postgres(pool) => raw_ops!(pool.clone(), "$1", "$2", "$3"),
    }
}

fn orm_ops(db: &Db) -> RawOps {
    let get_db = db.clone();
    let first_db = db.clone();
    let insert_db = db.clone();
    let page_db = db.clone();
    RawOps {
        get: Box::new(move |id| {
            let db = get_db.clone();
            Box::pin(async move { vec![Item::objects().get(&db, Item::ID.eq(id)).await.unwrap()] })
        }),
        first: Box::new(move |score| {
            let db = first_db.clone();
            Box::pin(async move {
                Item::objects()
                    .filter(Item::SCORE.eq(score))
                    .first(&db)
                    .await
                    .unwrap()
                    .into_iter()
                    .collect()
            })
        }),
        insert: Box::new(move |score| {
            let db = insert_db.clone();
            Box::pin(async move {
                vec![
                    Item::objects()
                        .create()
                        .name(format!("orm {score}"))
                        .score(score)
                        .active(true)
                        .exec(&db)
                        .await
                        .unwrap(),
                ]
            })
        }),
        page: Box::new(move |_| {
            let db = page_db.clone();
            Box::pin(async move {
                Item::objects()
                    .order_by(Item::ID.asc())
                    .limit(100)
                    .all(&db)
                    .await
                    .unwrap()
            })
        }),
    }
}

async fn targets() -> Vec<Target> {
    let mut targets = Vec::new();
    let path = std::env::temp_dir().join(format!("aksara_bench_{}.db", std::process::id()));
    let url = format!("sqlite://{}", path.display());
    let db = Db::connect(&url).await.unwrap();
    let options = url
        .parse::<sqlx::sqlite::SqliteConnectOptions>()
        .unwrap()
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
        .foreign_keys(true);
    let raw = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(10)
        .connect_with(options)
        .await
        .unwrap();
    targets.push(Target {
        label: "sqlite",
        db,
        raw: Raw::Sqlite(raw),
    });
    if let Ok(url) = std::env::var("AKSARA_TEST_POSTGRES_URL") {
        let admin = Db::connect(&url).await.unwrap();
        admin
            .execute_raw("DROP SCHEMA IF EXISTS aksara_bench CASCADE")
            .await
            .unwrap();
        admin
            .execute_raw("CREATE SCHEMA aksara_bench")
            .await
            .unwrap();
        let scoped = format!(
            "{url}{}options=-c%20search_path%3Daksara_bench",
            if url.contains('?') { '&' } else { '?' }
        );
        let db = Db::connect(&scoped).await.unwrap();
        let raw = sqlx::postgres::PgPoolOptions::new()
            .max_connections(10)
            .connect(&scoped)
            .await
            .unwrap();
        targets.push(Target {
            label: "postgres",
            db,
            raw: Raw::Postgres(raw),
        });
    }
    for target in &targets {
        target.db.migrate().await.unwrap();
        Item::objects().delete(&target.db).await.unwrap();
        Item::objects()
            .bulk_create(
                &target.db,
                (0..SEED_ROWS).map(|i| {
                    Item::objects()
                        .create()
                        .name(format!("item {i}"))
                        .score(i)
                        .active(i % 2 == 0)
                }),
            )
            .await
            .unwrap();
    }
    targets
}

fn bench(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let targets = runtime.block_on(targets());
    let mut ratios = Vec::new();
    for target in &targets {
        let sides = [
            ("sqlx", raw_ops(&target.raw)),
            ("aksara", orm_ops(&target.db)),
        ];
        let first_id = runtime
            .block_on(Item::objects().order_by(Item::ID.asc()).first(&target.db))
            .unwrap()
            .unwrap()
            .id;
        // `AKSARA_BENCH_CASES=fetch_100,get_by_pk` runs only those cases.
        let only = std::env::var("AKSARA_BENCH_CASES").unwrap_or_default();
        for case in ["get_by_pk", "filter_first", "insert_one", "fetch_100"] {
            if !only.is_empty() && !only.split(',').any(|wanted| wanted == case) {
                continue;
            }
            let mut group = c.benchmark_group(format!("{}/{case}", target.label));
            group
                .sample_size(30)
                .warm_up_time(Duration::from_millis(500))
                .measurement_time(Duration::from_secs(2));
            for (side, ops) in &sides {
                let op = op_for(ops, case);
                group.bench_function(*side, |b| {
                    let mut i = 0_i64;
                    b.to_async(&runtime).iter(|| {
                        i += 1;
                        let key = i % SEED_ROWS;
                        op(if case == "get_by_pk" {
                            first_id + key
                        } else {
                            key
                        })
                    });
                });
            }
            group.finish();
            let [(_, raw), (_, orm)] = &sides;
            let (raw_ns, orm_ns) = runtime.block_on(interleaved(
                op_for(raw, case),
                op_for(orm, case),
                first_id,
                case,
            ));
            ratios.push((target.label, case, raw_ns, orm_ns));
        }
    }
    print_ratios(&ratios);
}

fn op_for<'a>(ops: &'a RawOps, case: &str) -> &'a Op {
    match case {
        "get_by_pk" => &ops.get,
        "filter_first" => &ops.first,
        "insert_one" => &ops.insert,
        _ => &ops.page,
    }
}

/// Medians of per-operation time for both sides, measured in alternating rounds
/// (AB, BA, …) so that drift in machine load hits both sides alike.
async fn interleaved(raw: &Op, orm: &Op, first_id: i64, case: &str) -> (f64, f64) {
    const ROUNDS: i64 = 30;
    let per_round: i64 = if case == "fetch_100" { 40 } else { 150 };
    let mut samples = [Vec::new(), Vec::new()];
    for round in 0..ROUNDS {
        let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for side in order {
            let op = if side == 0 { raw } else { orm };
            let started = Instant::now();
            for i in 0..per_round {
                let key = (round * per_round + i) % SEED_ROWS;
                black_box(
                    op(if case == "get_by_pk" {
                        first_id + key
                    } else {
                        key
                    })
                    .await,
                );
            }
            samples[side].push(started.elapsed().as_secs_f64() * 1e9 / per_round as f64);
        }
    }
    let [mut raw_samples, mut orm_samples] = samples;
    (median(&mut raw_samples), median(&mut orm_samples))
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn print_ratios(ratios: &[(&str, &str, f64, f64)]) {
    println!("\nInterleaved medians (per operation):\n");
    println!("| backend | case | sqlx | aksara | aksara / sqlx |");
    println!("|---|---|---|---|---|");
    for (backend, case, raw, orm) in ratios {
        println!(
            "| {backend} | {case} | {:.1} µs | {:.1} µs | {:.3} |",
            raw / 1000.0,
            orm / 1000.0,
            orm / raw
        );
    }
}

criterion_group!(benches, bench);

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
