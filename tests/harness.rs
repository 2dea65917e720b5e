//! The latency harness's building blocks: the loopback TCP floor runs and
//! gives plausible figures without allocating in its measured loop, the
//! percentile summary reads a histogram right, the `.hgrm` text parses back
//! in HdrHistogram's format, and the SVG plot has one line per series.
//!
//! The floor's allocation proof is in `tests/harness_floor.rs`, alone in its
//! binary so no other test's allocations are counted.

use std::path::PathBuf;
use std::sync::Mutex;

use fixrail::harness::{
    format_hgrm, format_svg_plot, new_histogram, tcp_floor, write_hgrm, write_svg_plot,
    Percentiles, ReportError,
};
use hdrhistogram::Histogram;

/// The floor tests run one at a time (each spins two threads).
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn out_path(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("harness");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Values 1..=n ns, one each: every percentile is known exactly (values
/// below 2048 are exact at 3 significant digits).
fn one_to(n: u64) -> Histogram<u64> {
    let mut h = new_histogram();
    for v in 1..=n {
        h.record(v).unwrap();
    }
    h
}

/// Bad sizes are refused before any socket is opened.
#[test]
fn the_floor_refuses_an_empty_message() {
    let _serial = serial();
    let e = tcp_floor(0, 10, 0).unwrap_err();
    assert_eq!(e.kind(), std::io::ErrorKind::InvalidInput);
    assert!(e.to_string().contains("msg_size 0"), "{e}");
}

/// The summary of 1..=1000 ns is exactly what counting says.
#[test]
fn percentiles_of_known_values() {
    let _serial = serial();
    let p = Percentiles::from_histogram(&one_to(1000));
    assert_eq!(p.p50, 500);
    assert_eq!(p.p90, 900);
    assert_eq!(p.p99, 990);
    assert_eq!(p.p999, 999);
    assert_eq!(p.p9999, 1000);
    assert_eq!((p.min, p.max, p.count), (1, 1000, 1000));
    assert!((p.mean - 500.5).abs() < 1e-9, "{p:?}");

    let empty = Percentiles::from_histogram(&new_histogram());
    assert_eq!((empty.count, empty.p50, empty.max), (0, 0, 0));
}

/// The `.hgrm` file of 1..=1000 ns, written in µs, parses back: the exact
/// header, rows of increasing value, percentile and count with the
/// 1/(1-p) column, the percentile 1.0 row with the max and the total, and
/// the Mean/Max/Buckets footer.
#[test]
fn hgrm_parses_back() {
    let _serial = serial();
    let h = one_to(1000);
    let path = out_path("known.hgrm");
    write_hgrm(&h, &path, 1000.0).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text, format_hgrm(&h, 1000.0));

    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("       Value     Percentile TotalCount 1/(1-Percentile)")
    );
    assert_eq!(lines.next(), Some(""));

    let mut rows = Vec::new();
    let mut footer = Vec::new();
    for line in lines {
        if line.starts_with("#[") {
            footer.push(line);
        } else {
            assert!(footer.is_empty(), "row after the footer: {line:?}");
            let cols: Vec<&str> = line.split_whitespace().collect();
            let value: f64 = cols[0].parse().unwrap();
            let q: f64 = cols[1].parse().unwrap();
            let total: u64 = cols[2].parse().unwrap();
            rows.push((value, q, total, cols.len(), line));
        }
    }
    assert!(rows.len() > 20, "{} rows", rows.len());
    for w in rows.windows(2) {
        assert!(
            w[0].0 <= w[1].0,
            "values go down: {:?} then {:?}",
            w[0].4,
            w[1].4
        );
        assert!(
            w[0].1 < w[1].1,
            "percentiles do not rise: {:?} then {:?}",
            w[0].4,
            w[1].4
        );
        assert!(
            w[0].2 <= w[1].2,
            "counts go down: {:?} then {:?}",
            w[0].4,
            w[1].4
        );
    }
    for row in &rows[..rows.len() - 1] {
        assert_eq!(row.3, 4, "a row before the last has 4 columns: {:?}", row.4);
        let inv: f64 = row.4.split_whitespace().nth(3).unwrap().parse().unwrap();
        assert!((inv - 1.0 / (1.0 - row.1)).abs() < 0.01, "{:?}", row.4);
    }
    // First row: the smallest value (1 ns = 0.001 µs) at percentile 0.
    assert_eq!(
        rows[0].4,
        "       0.001 0.000000000000          1           1.00"
    );
    // Last row: percentile 1.0, the max (1000 ns = 1 µs), the total, 3 columns.
    let last = rows.last().unwrap();
    assert_eq!(last.4, "       1.000 1.000000000000       1000");
    // The median row: 500 ns at 0.5 with 500 values at or below it.
    assert!(
        rows.iter()
            .any(|r| r.4 == "       0.500 0.500000000000        500           2.00"),
        "{text}"
    );

    assert_eq!(footer.len(), 3, "{footer:?}");
    assert!(
        footer[0].starts_with("#[Mean    =        0.500, StdDeviation   =        0.289]"),
        "{}",
        footer[0]
    );
    assert_eq!(
        footer[1],
        "#[Max     =        1.000, Total count    =         1000]"
    );
    assert!(footer[2].starts_with("#[Buckets = "), "{}", footer[2]);
    assert!(
        footer[2].ends_with("SubBuckets     =         2048]"),
        "{}",
        footer[2]
    );
}

/// The plot is one self-contained SVG with one polyline per series and the
/// series' names (escaped) in its legend, with the percentile axis labels.
#[test]
fn svg_has_a_line_and_a_legend_entry_per_series() {
    let _serial = serial();
    let fast = one_to(1000);
    let mut slow = new_histogram();
    for v in 1..=5000u64 {
        slow.record(v * 20).unwrap();
    }
    let path = out_path("plot.svg");
    write_svg_plot(&[("floor", &fast), ("fixrail & co", &slow)], &path).unwrap();
    let svg = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        svg,
        format_svg_plot(&[("floor", &fast), ("fixrail & co", &slow)])
    );

    assert!(svg.starts_with("<svg "), "{svg}");
    assert!(svg.trim_end().ends_with("</svg>"), "{svg}");
    assert_eq!(svg.matches("<svg").count(), 1);
    assert_eq!(svg.matches("<polyline").count(), 2);
    assert!(svg.contains(">floor</text>"));
    assert!(svg.contains(">fixrail &amp; co</text>"));
    for label in ["0%", "90%", "99%", "99.9%", "99.99%", "99.999%"] {
        assert!(
            svg.contains(&format!(">{label}</text>")),
            "no {label} label"
        );
    }
    assert!(svg.contains("µs"));
    // Every polyline has points, every point two numbers.
    for line in svg.lines().filter(|l| l.starts_with("<polyline")) {
        let points = line
            .split("points=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        let pairs: Vec<&str> = points.split_whitespace().collect();
        assert!(pairs.len() > 10, "{line}");
        for pair in pairs {
            let (x, y) = pair.split_once(',').unwrap();
            let (x, y): (f64, f64) = (x.parse().unwrap(), y.parse().unwrap());
            assert!(
                (0.0..=800.0).contains(&x) && (0.0..=500.0).contains(&y),
                "{pair}"
            );
        }
    }
    // Tags open and close in balance (self-closing ones aside).
    let opens = svg.matches("<text").count();
    assert_eq!(opens, svg.matches("</text>").count());
}

/// A file that cannot be written is an error naming it.
#[test]
fn an_unwritable_path_is_named() {
    let _serial = serial();
    let path = out_path("no-such-dir").join("x.hgrm");
    let e = write_hgrm(&one_to(10), &path, 1000.0).unwrap_err();
    let ReportError::Write { path: named, .. } = &e;
    assert_eq!(named, &path);
    assert!(e.to_string().contains("no-such-dir"), "{e}");
}
