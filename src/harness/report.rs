//! Reports made from latency histograms (values in nanoseconds): the
//! percentile summary, the standard HdrHistogram `.hgrm` percentile
//! distribution text, and a self-contained SVG latency-by-percentile plot.
//!
//! Owns only the text it builds and the files it is told to write; reads
//! histograms, never records into them. Runs after a measurement, off any
//! hot path: allocation and formatting are fine here. No plotting crate: the
//! SVG is plain string building.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use hdrhistogram::Histogram;

/// Percentile ticks per half distance to 100% in `.hgrm` output and the
/// plot (HdrHistogram's customary 5).
pub const TICKS_PER_HALF_DISTANCE: u32 = 5;

/// A file the report could not write.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// Creating or writing the file failed.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
}

/// The summary of a latency distribution, in nanoseconds (as recorded).
///
/// Each percentile is the histogram's value at that quantile (within its
/// precision: 3 significant digits for harness histograms). An empty
/// histogram gives all zeros.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Percentiles {
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// 99.99th percentile.
    pub p9999: u64,
    /// Smallest value recorded.
    pub min: u64,
    /// Largest value recorded.
    pub max: u64,
    /// Number of values recorded.
    pub count: u64,
    /// Arithmetic mean (never to be reported alone).
    pub mean: f64,
}

impl Percentiles {
    /// Reads the summary of `h`.
    pub fn from_histogram(h: &Histogram<u64>) -> Self {
        if h.is_empty() {
            return Percentiles {
                p50: 0,
                p90: 0,
                p99: 0,
                p999: 0,
                p9999: 0,
                min: 0,
                max: 0,
                count: 0,
                mean: 0.0,
            };
        }
        Percentiles {
            p50: h.value_at_quantile(0.50),
            p90: h.value_at_quantile(0.90),
            p99: h.value_at_quantile(0.99),
            p999: h.value_at_quantile(0.999),
            p9999: h.value_at_quantile(0.9999),
            min: h.min(),
            max: h.max(),
            count: h.len(),
            mean: h.mean(),
        }
    }
}

impl From<&Histogram<u64>> for Percentiles {
    fn from(h: &Histogram<u64>) -> Self {
        Percentiles::from_histogram(h)
    }
}

/// The HdrHistogram percentile distribution of `h` as text, the `.hgrm`
/// format of HdrHistogram's `outputPercentileDistribution`: a header line,
/// one row per percentile tick (value / `unit_scaling`, percentile as a
/// fraction, cumulative count, 1/(1-percentile)), the percentile 1.0 row
/// without the last column, and the `#[Mean ...]`, `#[Max ...]`,
/// `#[Buckets ...]` footer. Values print with as many decimals as the
/// histogram has significant digits. Nanosecond histograms with
/// `unit_scaling` 1000.0 give microseconds. A `unit_scaling` that is not a
/// positive finite number is taken as 1.0.
pub fn format_hgrm(h: &Histogram<u64>, unit_scaling: f64) -> String {
    let scale = if unit_scaling.is_finite() && unit_scaling > 0.0 {
        unit_scaling
    } else {
        1.0
    };
    let prec = usize::from(h.sigfig());
    let mut out = String::new();
    // `write!` into a String cannot fail.
    let _ = write!(
        out,
        "{:>12} {:>14} {:>10} {:>14}\n\n",
        "Value", "Percentile", "TotalCount", "1/(1-Percentile)"
    );
    let mut total: u64 = 0;
    for v in h.iter_quantiles(TICKS_PER_HALF_DISTANCE) {
        total += v.count_since_last_iteration();
        let value = v.value_iterated_to() as f64 / scale;
        let q = v.quantile_iterated_to();
        if q < 1.0 {
            let _ = writeln!(
                out,
                "{value:12.prec$} {q:2.12} {total:10} {:14.2}",
                1.0 / (1.0 - q)
            );
        } else {
            let _ = writeln!(out, "{value:12.prec$} {q:2.12} {total:10}");
        }
    }
    let mean = h.mean() / scale;
    let stdev = if h.is_empty() { 0.0 } else { h.stdev() / scale };
    let max = h.max() as f64 / scale;
    let _ = writeln!(
        out,
        "#[Mean    = {mean:12.prec$}, StdDeviation   = {stdev:12.prec$}]"
    );
    let _ = writeln!(
        out,
        "#[Max     = {max:12.prec$}, Total count    = {:12}]",
        h.len()
    );
    let _ = writeln!(
        out,
        "#[Buckets = {:12}, SubBuckets     = {:12}]",
        h.buckets(),
        sub_bucket_count(h.sigfig())
    );
    out
}

/// Writes [`format_hgrm`]`(h, unit_scaling)` to `path` (created or
/// truncated).
pub fn write_hgrm(h: &Histogram<u64>, path: &Path, unit_scaling: f64) -> Result<(), ReportError> {
    write_file(path, &format_hgrm(h, unit_scaling))
}

/// Sub-buckets per bucket for `sigfig` significant digits: the smallest
/// power of two at or above 2 * 10^sigfig (HdrHistogram's layout; the crate
/// does not expose it).
fn sub_bucket_count(sigfig: u8) -> u64 {
    let single_unit = 2 * 10u64.pow(u32::from(sigfig));
    single_unit.next_power_of_two()
}

// ---------------------------------------------------------------------------
// The SVG plot.

/// Plot width and height (px), and the margins around the plotting area.
const WIDTH: f64 = 800.0;
const HEIGHT: f64 = 500.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 170.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 50.0;
/// The x axis ends at 99.999%: log10(1/(1-p)) = 5.
const X_DECADES: f64 = 5.0;
const X_LABELS: [&str; 6] = ["0%", "90%", "99%", "99.9%", "99.99%", "99.999%"];
const COLOURS: [&str; 8] = [
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
];

/// A self-contained SVG plot of latency (µs, linear y axis) by percentile
/// (x axis: log scale of 1/(1-p), labelled 0% to 99.999%), one polyline per
/// series with a legend naming them, in the order given. Series values are
/// nanoseconds. Points past 99.999% are drawn at 99.999%; the 100% point
/// (the maximum) is drawn at the last percentile the series' count resolves
/// (1/(1-p) = count), at most 99.999%. An empty series gets an empty
/// polyline and its legend entry.
pub fn format_svg_plot(series: &[(&str, &Histogram<u64>)]) -> String {
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let y_max_us = nice_ceiling(
        series
            .iter()
            .map(|(_, h)| h.max() as f64 / 1000.0)
            .fold(0.0, f64::max),
    );
    let x_of = |decades: f64| LEFT + plot_w * decades.clamp(0.0, X_DECADES) / X_DECADES;
    let y_of = |us: f64| TOP + plot_h - plot_h * (us / y_max_us).clamp(0.0, 1.0);

    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" font-family="sans-serif" font-size="12">"#
    );
    let _ = writeln!(
        out,
        r#"<rect x="0" y="0" width="{WIDTH}" height="{HEIGHT}" fill="white"/>"#
    );
    let _ = writeln!(
        out,
        r#"<text x="{}" y="22" text-anchor="middle" font-size="15">Latency by percentile</text>"#,
        LEFT + plot_w / 2.0
    );
    // Grid and x labels: one decade of 1/(1-p) per label.
    for (i, label) in X_LABELS.iter().enumerate() {
        let x = x_of(i as f64);
        let _ = writeln!(
            out,
            r##"<line x1="{x:.1}" y1="{TOP}" x2="{x:.1}" y2="{:.1}" stroke="#ddd"/>"##,
            TOP + plot_h
        );
        let _ = writeln!(
            out,
            r#"<text x="{x:.1}" y="{:.1}" text-anchor="middle">{label}</text>"#,
            TOP + plot_h + 18.0
        );
    }
    let _ = writeln!(
        out,
        r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">Percentile</text>"#,
        LEFT + plot_w / 2.0,
        HEIGHT - 8.0
    );
    // Grid and y labels: five steps of the rounded maximum.
    for i in 0..=5 {
        let us = y_max_us * f64::from(i) / 5.0;
        let y = y_of(us);
        let _ = writeln!(
            out,
            r##"<line x1="{LEFT}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#ddd"/>"##,
            LEFT + plot_w
        );
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            LEFT - 6.0,
            y + 4.0,
            axis_number(us)
        );
    }
    let _ = writeln!(
        out,
        r#"<text x="16" y="{:.1}" text-anchor="middle" transform="rotate(-90 16 {:.1})">Latency (µs)</text>"#,
        TOP + plot_h / 2.0,
        TOP + plot_h / 2.0
    );
    let _ = writeln!(
        out,
        r#"<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="black"/>"#
    );
    // One polyline per series, then its legend entry.
    for (i, (name, h)) in series.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let last_decades = (h.len().max(1) as f64).log10().min(X_DECADES);
        let mut points = String::new();
        for v in h.iter_quantiles(TICKS_PER_HALF_DISTANCE) {
            let q = v.quantile_iterated_to();
            let decades = if q < 1.0 {
                (1.0 / (1.0 - q)).log10()
            } else {
                last_decades
            };
            let us = v.value_iterated_to() as f64 / 1000.0;
            let _ = write!(points, "{:.1},{:.1} ", x_of(decades), y_of(us));
        }
        let _ = writeln!(
            out,
            r#"<polyline fill="none" stroke="{colour}" stroke-width="2" points="{}"/>"#,
            points.trim_end()
        );
        let ly = TOP + 10.0 + 20.0 * i as f64;
        let lx = WIDTH - RIGHT + 15.0;
        let _ = writeln!(
            out,
            r#"<line x1="{lx:.1}" y1="{ly:.1}" x2="{:.1}" y2="{ly:.1}" stroke="{colour}" stroke-width="2"/>"#,
            lx + 20.0
        );
        let _ = writeln!(
            out,
            r#"<text x="{:.1}" y="{:.1}">{}</text>"#,
            lx + 26.0,
            ly + 4.0,
            xml_escape(name)
        );
    }
    out.push_str("</svg>\n");
    out
}

/// Writes [`format_svg_plot`]`(series)` to `path` (created or truncated).
pub fn write_svg_plot(series: &[(&str, &Histogram<u64>)], path: &Path) -> Result<(), ReportError> {
    write_file(path, &format_svg_plot(series))
}

fn write_file(path: &Path, text: &str) -> Result<(), ReportError> {
    std::fs::write(path, text).map_err(|source| ReportError::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// The smallest 1, 2 or 5 times a power of ten at or above `v` (at least 1).
fn nice_ceiling(v: f64) -> f64 {
    if !(v.is_finite() && v > 1.0) {
        return 1.0;
    }
    let mut decade = 10f64.powf(v.log10().floor());
    loop {
        for m in [1.0, 2.0, 5.0] {
            if m * decade >= v {
                return m * decade;
            }
        }
        decade *= 10.0;
    }
}

/// An axis label: whole numbers plainly, fractions with up to two decimals.
fn axis_number(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.2}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}
