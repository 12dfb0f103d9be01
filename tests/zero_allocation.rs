//! Evaluation never touches the heap, on any path: a counting global
//! allocator (counting per thread, so the test harness's own threads do not
//! interfere) must see zero allocations across every kind of decision.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use gradual::{
    ConditionConfig, Config, Context, FeatureConfig, FeatureName, Operator, PrerequisiteConfig,
    Rollouts, RuleConfig, SegmentConfig, Serve, Snapshot, Value, VariantConfig, Version,
};

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards every call to the system allocator unchanged; the
// counter is a const-initialised thread-local Cell, which never allocates.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_in(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

fn config() -> Config {
    let long_name = "a_feature_name_long_enough_that_its_key_needs_two_md5_blocks_x";
    Config::new("r1")
        .segment(SegmentConfig::new("staff").condition(
            ConditionConfig::new("email", Operator::EndsWith, ["@example.com"]).case_insensitive(),
        ))
        .feature(FeatureConfig::new("killed").enabled(false))
        .feature(FeatureConfig::new("base").percentage(50))
        .feature(
            FeatureConfig::new("gated")
                .percentage(100)
                .prerequisite(PrerequisiteConfig::on("base")),
        )
        .feature(FeatureConfig::new(long_name).percentage(50))
        .feature(FeatureConfig::new("org").percentage(50).bucket_by("org_id"))
        .feature(
            FeatureConfig::new("rich")
                .percentage(30)
                .allow(["allowed"])
                .deny(["denied"])
                .rule(RuleConfig::new(Serve::Off).condition(ConditionConfig::new(
                    "app_version",
                    Operator::SemverLt,
                    ["2.3"],
                )))
                .rule(RuleConfig::serve_variant("b").condition(ConditionConfig::segment("staff")))
                .rule(RuleConfig::percentage(60).condition(
                    ConditionConfig::new("country", Operator::In, ["NL", "BE"]).negate(),
                ))
                .rule(RuleConfig::new(Serve::On).condition(ConditionConfig::new(
                    "roles",
                    Operator::Contains,
                    ["adm"],
                )))
                .variant(VariantConfig::new("a", 50).value(serde_json::json!({ "k": [1, 2] })))
                .variant(VariantConfig::new("b", 50).value("text")),
        )
}

#[test]
fn no_evaluation_path_allocates() {
    let snapshot = Snapshot::try_from(config()).expect("valid");
    let rollouts = Rollouts::new(snapshot.clone());
    let units: Vec<String> = (0..500).map(|i| format!("user-{i}")).collect();
    let roles = ["admin", "dev"];
    let version = Version::parse("2.4.0").expect("version");
    let attribute_sets: [&[(&str, Value<'_>)]; 6] = [
        &[],
        &[("app_version", Value::Str("2.2.9"))],
        &[("email", Value::Str("Ann@EXAMPLE.com"))],
        &[
            ("country", Value::Str("FR")),
            ("app_version", Value::Version(version)),
        ],
        &[
            ("country", Value::Str("NL")),
            ("roles", Value::List(&roles)),
        ],
        &[
            ("org_id", Value::Str("org-7")),
            ("org_id", Value::Number(1.0)),
        ],
    ];
    let features = [
        "unknown",
        "killed",
        "base",
        "gated",
        "a_feature_name_long_enough_that_its_key_needs_two_md5_blocks_x",
        "org",
        "rich",
    ];
    // Names that remember where they were found, made ahead (making one
    // from a `String` is the caller's allocation, not evaluation's).
    let names: Vec<FeatureName> = features
        .iter()
        .map(|f| FeatureName::from(f.to_string()))
        .collect();
    let mut reader = rollouts.reader();
    // The first load on a thread may register it with arc-swap; that is
    // once per thread, not per evaluation.
    let _ = rollouts.is_enabled("base", "warm-up");

    // Room for every reason kind up front, so recording them never allocates.
    let mut reasons: Vec<&'static str> = Vec::with_capacity(32);
    let count = allocations_in(|| {
        for unit in units
            .iter()
            .map(String::as_str)
            .chain(["allowed", "denied", ""])
        {
            for attributes in attribute_sets {
                let context = Context::new(unit).with_attributes(attributes);
                for (feature, name) in features.iter().zip(&names) {
                    let d = snapshot.evaluate_with(feature, &context);
                    std::hint::black_box((d.is_enabled(), d.variant(), d.bucket()));
                    if !reasons.contains(&d.reason().as_str()) {
                        reasons.push(d.reason().as_str());
                    }
                    let guard = rollouts.load();
                    std::hint::black_box(guard.evaluate_with(feature, &context));
                    std::hint::black_box(rollouts.is_enabled_with(feature, &context));
                    std::hint::black_box(gradual::bucket(feature, unit));
                    std::hint::black_box(snapshot.evaluate_with(name, &context));
                    std::hint::black_box(reader.is_enabled_with(name, &context));
                    std::hint::black_box(reader.evaluate_with(feature, &context));
                }
                let mut all = [gradual::Decision::default(); 8];
                std::hint::black_box(snapshot.evaluate_all(&context, &mut all));
                let batch = [
                    unit,
                    "a",
                    "b",
                    "a_longer_unit_id_that_makes_the_key_need_two_md5_blocks_xx",
                ];
                let mut out = [gradual::Bucket::default(); 4];
                std::hint::black_box(gradual::buckets("base", &batch, &mut out));
            }
        }
    });
    assert_eq!(count, 0, "evaluation allocated {count} times");
    // Every kind of decision was on the measured path.
    for kind in [
        "unknown_feature",
        "killed",
        "prerequisite_failed",
        "denied",
        "allowed",
        "rule",
        "missing_bucket_by",
        "in_rollout",
        "out_of_rollout",
    ] {
        assert!(
            reasons.contains(&kind),
            "{kind} never happened: {reasons:?}"
        );
    }
}
