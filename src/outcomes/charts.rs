//! Charts drawn on the server as SVG: no script, readable when printed, each with a title and a
//! description for assistive technology (the page puts the data table beside it as well).
//! Every text in a chart is escaped here: provider and term names come from users.

use super::report::Bar;
use std::fmt::Write;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const INK: &str = "#0b0c0c";
const BAR: &str = "#1d70b8";
const REF: &str = "#d4351c";

/// Horizontal bars (rate as a percentage) with interval whiskers and a dashed reference line.
pub fn bars(id: &str, title: &str, bars: &[Bar], reference: Option<f64>) -> String {
    let label_w = 230.0;
    let plot_w = 420.0;
    let row_h = 26.0;
    let top = 30.0;
    let height = top + row_h * bars.len() as f64 + 30.0;
    let x = |v: f64| label_w + v.clamp(0.0, 1.0) * plot_w;
    let mut desc = format!("{title}. ");
    for b in bars {
        let _ = write!(
            desc,
            "{}: {:.1}% (95% interval {:.1}% to {:.1}%). ",
            b.label,
            b.value * 100.0,
            b.low * 100.0,
            b.high * 100.0
        );
    }
    if let Some(r) = reference {
        let _ = write!(desc, "The dashed line is the city rate, {:.1}%.", r * 100.0);
    }
    let mut s = format!(
        r#"<svg class="chart" viewBox="0 0 {w} {height}" width="100%" role="img" aria-labelledby="{id}-title {id}-desc" xmlns="http://www.w3.org/2000/svg"><title id="{id}-title">{t}</title><desc id="{id}-desc">{d}</desc>"#,
        w = label_w + plot_w + 20.0,
        t = esc(title),
        d = esc(&desc)
    );
    // Axis: 0, 25, 50, 75, 100%.
    for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let _ = write!(
            s,
            r##"<line x1="{x}" y1="{top}" x2="{x}" y2="{y2}" stroke="#b1b4b6" stroke-width="1"/><text x="{x}" y="{ty}" font-size="12" text-anchor="middle" fill="{INK}">{p}%</text>"##,
            x = x(tick),
            y2 = height - 24.0,
            ty = height - 8.0,
            p = (tick * 100.0) as i64
        );
    }
    for (i, b) in bars.iter().enumerate() {
        let y = top + row_h * i as f64;
        let label: String = b.label.chars().take(32).collect();
        let _ = write!(
            s,
            r#"<text x="{lx}" y="{ty}" font-size="13" text-anchor="end" fill="{INK}">{l}</text><rect x="{x0}" y="{by}" width="{bw}" height="14" fill="{BAR}"/><line x1="{wl}" y1="{wy}" x2="{wh}" y2="{wy}" stroke="{INK}" stroke-width="2"/><line x1="{wl}" y1="{wy0}" x2="{wl}" y2="{wy1}" stroke="{INK}" stroke-width="2"/><line x1="{wh}" y1="{wy0}" x2="{wh}" y2="{wy1}" stroke="{INK}" stroke-width="2"/>"#,
            lx = label_w - 8.0,
            ty = y + 12.0,
            l = esc(&label),
            x0 = x(0.0),
            by = y + 1.0,
            bw = x(b.value) - x(0.0),
            wl = x(b.low),
            wh = x(b.high),
            wy = y + 8.0,
            wy0 = y + 3.0,
            wy1 = y + 13.0,
        );
    }
    if let Some(r) = reference {
        let _ = write!(
            s,
            r#"<line x1="{rx}" y1="{y0}" x2="{rx}" y2="{y1}" stroke="{REF}" stroke-width="2" stroke-dasharray="6 4"/><text x="{rx}" y="20" font-size="12" text-anchor="middle" fill="{INK}">City {p:.1}%</text>"#,
            rx = x(r),
            y0 = top - 4.0,
            y1 = height - 24.0,
            p = r * 100.0
        );
    }
    s.push_str("</svg>");
    s
}

/// A line through each term's rate, with interval whiskers.
pub fn trend(id: &str, title: &str, points: &[Bar]) -> String {
    let (w, h, left, top, bottom) = (660.0, 260.0, 50.0, 20.0, 60.0);
    let plot_h = h - top - bottom;
    let step = if points.len() > 1 {
        (w - left - 30.0) / (points.len() - 1) as f64
    } else {
        0.0
    };
    let px = |i: usize| left + 15.0 + step * i as f64;
    let py = |v: f64| top + (1.0 - v.clamp(0.0, 1.0)) * plot_h;
    let mut desc = format!("{title}. ");
    for p in points {
        let _ = write!(
            desc,
            "{}: {:.1}% (95% interval {:.1}% to {:.1}%). ",
            p.label,
            p.value * 100.0,
            p.low * 100.0,
            p.high * 100.0
        );
    }
    let mut s = format!(
        r#"<svg class="chart" viewBox="0 0 {w} {h}" width="100%" role="img" aria-labelledby="{id}-title {id}-desc" xmlns="http://www.w3.org/2000/svg"><title id="{id}-title">{t}</title><desc id="{id}-desc">{d}</desc>"#,
        t = esc(title),
        d = esc(&desc)
    );
    for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
        let _ = write!(
            s,
            r##"<line x1="{left}" y1="{y}" x2="{x2}" y2="{y}" stroke="#b1b4b6" stroke-width="1"/><text x="{tx}" y="{ty}" font-size="12" text-anchor="end" fill="{INK}">{p}%</text>"##,
            y = py(tick),
            x2 = w - 10.0,
            tx = left - 6.0,
            ty = py(tick) + 4.0,
            p = (tick * 100.0) as i64
        );
    }
    let path: Vec<String> = points
        .iter()
        .enumerate()
        .map(|(i, p)| format!("{:.1},{:.1}", px(i), py(p.value)))
        .collect();
    if points.len() > 1 {
        let _ = write!(
            s,
            r#"<polyline points="{}" fill="none" stroke="{BAR}" stroke-width="3"/>"#,
            path.join(" ")
        );
    }
    for (i, p) in points.iter().enumerate() {
        let label: String = p.label.chars().take(18).collect();
        let _ = write!(
            s,
            r#"<line x1="{x}" y1="{yl}" x2="{x}" y2="{yh}" stroke="{INK}" stroke-width="2"/><circle cx="{x}" cy="{y}" r="5" fill="{BAR}"/><text x="{x}" y="{ly}" font-size="12" text-anchor="middle" fill="{INK}">{l}</text>"#,
            x = px(i),
            y = py(p.value),
            yl = py(p.low),
            yh = py(p.high),
            ly = h - bottom + 20.0 + 14.0 * (i % 2) as f64,
            l = esc(&label)
        );
    }
    s.push_str("</svg>");
    s
}

/// One square per locality, its rate written in it; the square's fill darkens with the rate
/// (the text is on a white panel so its contrast does not depend on the fill).
pub fn locality_grid(id: &str, title: &str, cells: &[(String, Option<f64>, String)]) -> String {
    let cols = 4usize;
    let (cw, ch) = (160.0, 84.0);
    let rows = cells.len().div_ceil(cols).max(1);
    let (w, h) = (cw * cols as f64, ch * rows as f64);
    let mut desc = format!("{title}. ");
    for (name, _, text) in cells {
        let _ = write!(desc, "{name}: {text}. ");
    }
    let mut s = format!(
        r#"<svg class="chart" viewBox="0 0 {w} {h}" width="100%" role="img" aria-labelledby="{id}-title {id}-desc" xmlns="http://www.w3.org/2000/svg"><title id="{id}-title">{t}</title><desc id="{id}-desc">{d}</desc>"#,
        t = esc(title),
        d = esc(&desc)
    );
    for (i, (name, value, text)) in cells.iter().enumerate() {
        let (x, y) = ((i % cols) as f64 * cw, (i / cols) as f64 * ch);
        // Lightness from 90% (0%) to 35% (100%) of the bar colour's hue.
        let light = value
            .map(|v| 90.0 - 55.0 * v.clamp(0.0, 1.0))
            .unwrap_or(96.0);
        let label: String = name.chars().take(20).collect();
        let _ = write!(
            s,
            r##"<rect x="{x0}" y="{y0}" width="{rw}" height="{rh}" fill="hsl(206, 74%, {light:.0}%)" stroke="{INK}" stroke-width="1"/><rect x="{px}" y="{py}" width="{pw}" height="46" fill="#ffffff"/><text x="{tx}" y="{ty1}" font-size="13" text-anchor="middle" fill="{INK}">{l}</text><text x="{tx}" y="{ty2}" font-size="15" font-weight="bold" text-anchor="middle" fill="{INK}">{v}</text>"##,
            x0 = x + 4.0,
            y0 = y + 4.0,
            rw = cw - 8.0,
            rh = ch - 8.0,
            px = x + 14.0,
            py = y + 18.0,
            pw = cw - 28.0,
            tx = x + cw / 2.0,
            ty1 = y + 36.0,
            ty2 = y + 56.0,
            l = esc(&label),
            v = esc(text)
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_escaped_and_every_bar_is_described() {
        let b = vec![Bar {
            label: "<script>alert(1)</script> & Co".into(),
            value: 0.27,
            low: 0.19,
            high: 0.36,
        }];
        let svg = bars("x", "Rates", &b, Some(0.3));
        assert!(!svg.contains("<script>"));
        assert!(svg.contains("&lt;script&gt;"));
        assert!(svg.contains("27.0% (95% interval 19.0% to 36.0%)"));
        assert!(svg.contains("city rate, 30.0%"));
        let t = trend("t", "Trend", &b);
        assert!(!t.contains("<script>") && t.contains("<desc"));
        let g = locality_grid("g", "Grid", &[("A & B".into(), None, "c".into())]);
        assert!(g.contains("A &amp; B: c."));
    }
}
