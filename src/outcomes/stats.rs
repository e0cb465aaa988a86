//! How figures are published (DOMAIN.md section 10, following DfE statistical practice): a count
//! from 1 to 4 is shown as `c`, a figure that would reveal a suppressed count is suppressed too,
//! and a rate carries its 95% Wilson interval so a small provider is not over-read.

use serde::Serialize;

/// Counts below this (and above zero) are not published.
pub const SUPPRESS_BELOW: i64 = 5;
/// The normal quantile for a two-sided 95% interval.
const Z: f64 = 1.959_963_984_540_054;

/// A count as published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Cell {
    Shown(i64),
    Suppressed,
}

impl Cell {
    /// The primary rule: 1 to 4 is suppressed; 0 is shown (nothing to disclose).
    pub fn of(n: i64) -> Cell {
        if (1..SUPPRESS_BELOW).contains(&n) {
            Cell::Suppressed
        } else {
            Cell::Shown(n)
        }
    }

    pub fn text(self) -> String {
        match self {
            Cell::Shown(n) => n.to_string(),
            Cell::Suppressed => "c".into(),
        }
    }

    pub fn is_suppressed(self) -> bool {
        self == Cell::Suppressed
    }
}

/// The 95% Wilson score interval for `k` successes in `n`; `None` for no trials.
pub fn wilson(k: i64, n: i64) -> Option<(f64, f64)> {
    if n <= 0 || k < 0 || k > n {
        return None;
    }
    let (k, n) = (k as f64, n as f64);
    let p = k / n;
    let z2 = Z * Z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = Z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denom;
    Some(((centre - half).max(0.0), (centre + half).min(1.0)))
}

/// A rate (`k` of `n`) as published.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rate {
    pub k: String,
    pub n: String,
    /// Percentages to one decimal place; all `None` when there is nothing to show.
    pub percent: Option<f64>,
    pub low: Option<f64>,
    pub high: Option<f64>,
    /// Why there is no rate: "no placements" (0 of 0) or "c" (suppressed).
    pub note: &'static str,
    /// Raw values for charts and comparisons: only set when the rate is shown.
    #[serde(skip)]
    pub value: Option<(f64, f64, f64)>,
}

fn pct(x: f64) -> f64 {
    (x * 1000.0).round() / 10.0
}

/// `k` of `n` with its interval. The rate is suppressed when `k`, `n` or `n - k` is from 1 to
/// 4: with the denominator shown, the rate would give the small count away.
pub fn rate(k: i64, n: i64) -> Rate {
    let (kc, nc) = (Cell::of(k), Cell::of(n));
    let hidden = kc.is_suppressed() || nc.is_suppressed() || Cell::of(n - k).is_suppressed();
    let interval = wilson(k, n);
    match interval {
        Some((low, high)) if !hidden => {
            let p = k as f64 / n as f64;
            Rate {
                k: kc.text(),
                n: nc.text(),
                percent: Some(pct(p)),
                low: Some(pct(low)),
                high: Some(pct(high)),
                note: "",
                value: Some((p, low, high)),
            }
        }
        _ => Rate {
            // Hiding the rate alone is not enough when k is shown and n - k is small.
            k: if hidden {
                Cell::Suppressed.text()
            } else {
                kc.text()
            },
            n: nc.text(),
            percent: None,
            low: None,
            high: None,
            note: if n == 0 { "no placements" } else { "c" },
            value: None,
        },
    }
}

/// The same rate with everything but its (published) denominator hidden: for a group whose
/// count had to be hidden to protect another.
pub fn hide(n: Cell) -> Rate {
    Rate {
        k: Cell::Suppressed.text(),
        n: n.text(),
        percent: None,
        low: None,
        high: None,
        note: "c",
        value: None,
    }
}

/// Positions in a grid: a line's parts and its total.
type Line = (Vec<(usize, usize)>, (usize, usize));

/// A table whose last row holds the column totals and whose last column holds the row totals
/// (either may be absent: `row_totals` / `col_totals` false). Primary suppression, then, until
/// nothing changes, any row or column with exactly one hidden part and a shown total hides its
/// smallest other non-zero part too (or its total when there is none), so no hidden count can
/// be worked out by subtraction in either direction.
pub fn protect_grid(values: &[Vec<i64>], row_totals: bool, col_totals: bool) -> Vec<Vec<Cell>> {
    let mut cells: Vec<Vec<Cell>> = values
        .iter()
        .map(|r| r.iter().map(|&n| Cell::of(n)).collect())
        .collect();
    let rows = values.len();
    let cols = values.first().map_or(0, Vec::len);
    // Each line: its part positions and its total's position.
    let mut lines: Vec<Line> = Vec::new();
    if row_totals && cols > 1 {
        for r in 0..rows {
            lines.push(((0..cols - 1).map(|c| (r, c)).collect(), (r, cols - 1)));
        }
    }
    if col_totals && rows > 1 {
        for c in 0..cols {
            lines.push(((0..rows - 1).map(|r| (r, c)).collect(), (rows - 1, c)));
        }
    }
    loop {
        let mut changed = false;
        for (parts, total) in &lines {
            let hidden = parts
                .iter()
                .filter(|&&(r, c)| cells[r][c].is_suppressed())
                .count();
            if hidden != 1 || cells[total.0][total.1].is_suppressed() {
                continue;
            }
            let partner = parts
                .iter()
                .filter(|&&(r, c)| values[r][c] > 0 && !cells[r][c].is_suppressed())
                .min_by_key(|&&(r, c)| values[r][c]);
            let (r, c) = partner.copied().unwrap_or(*total);
            cells[r][c] = Cell::Suppressed;
            changed = true;
        }
        if !changed {
            return cells;
        }
    }
}

/// How a group's rate stands against a reference rate (the city's), by its interval.
pub fn against(value: Option<(f64, f64, f64)>, reference: Option<f64>) -> &'static str {
    match (value, reference) {
        (Some((_, low, _)), Some(r)) if low > r => "above",
        (Some((_, _, high)), Some(r)) if high < r => "below",
        (Some(_), Some(_)) => "no clear difference",
        _ => "",
    }
}

/// The median of some values (the mean of the middle two for an even count).
pub fn median(values: &mut [i64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let m = values.len() / 2;
    Some(if values.len() % 2 == 0 {
        (values[m - 1] + values[m]) as f64 / 2.0
    } else {
        values[m] as f64
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 5e-5
    }

    #[test]
    fn counts_from_one_to_four_are_suppressed() {
        assert_eq!(Cell::of(0), Cell::Shown(0));
        for n in 1..=4 {
            assert_eq!(Cell::of(n).text(), "c");
        }
        assert_eq!(Cell::of(5), Cell::Shown(5));
        assert_eq!(Cell::of(5).text(), "5");
    }

    /// Worked by hand from the Wilson formula (z = 1.96).
    #[test]
    fn wilson_intervals_match_hand_worked_examples() {
        assert_eq!(wilson(0, 0), None);
        assert_eq!(wilson(3, 2), None);
        // 27 of 100: p = 0.27, centre 0.27851, half-width 0.08581.
        let (l, h) = wilson(27, 100).unwrap();
        assert!(close(l, 0.19270) && close(h, 0.36432), "{l} {h}");
        // All of 20: the upper end is 1 and the lower 0.83889.
        let (l, h) = wilson(20, 20).unwrap();
        assert!(close(l, 0.83889) && close(h, 1.0), "{l} {h}");
        // None of 20: mirror image.
        let (l, h) = wilson(0, 20).unwrap();
        assert!(close(l, 0.0) && close(h, 0.16111), "{l} {h}");
        // 1 of 2: centre 0.5, symmetric, 0.09453 to 0.90547.
        let (l, h) = wilson(1, 2).unwrap();
        assert!(close(l, 0.09453) && close(h, 0.90547), "{l} {h}");
    }

    #[test]
    fn rates_are_hidden_when_a_count_or_its_complement_is_small() {
        let r = rate(0, 0);
        assert_eq!(
            (r.percent, r.note, r.k.as_str()),
            (None, "no placements", "0")
        );
        let r = rate(20, 20);
        assert_eq!(
            (r.percent, r.low, r.high),
            (Some(100.0), Some(83.9), Some(100.0))
        );
        let r = rate(27, 100);
        assert_eq!(
            (r.percent, r.low, r.high),
            (Some(27.0), Some(19.3), Some(36.4))
        );
        // Around the threshold: 4 of 40 hidden, 5 of 40 shown; 36 of 40 hidden (4 not), 35 shown.
        assert_eq!(rate(4, 40).note, "c");
        assert_eq!(rate(4, 40).k, "c");
        assert_eq!(rate(5, 40).percent, Some(12.5));
        assert_eq!(rate(36, 40).note, "c");
        assert_eq!(rate(36, 40).k, "c", "the count would give the 4 away");
        assert_eq!(rate(35, 40).percent, Some(87.5));
        // A small denominator hides everything; 0 of 5 and 5 of 5 are shown.
        assert_eq!(rate(0, 4).note, "c");
        assert_eq!(rate(0, 4).n, "c");
        assert_eq!(rate(0, 5).percent, Some(0.0));
        assert_eq!(rate(5, 5).percent, Some(100.0));
    }

    /// One row of parts and its total.
    fn row(parts: &[i64]) -> Vec<Cell> {
        let mut v = parts.to_vec();
        v.push(parts.iter().sum());
        protect_grid(&[v], true, false).remove(0)
    }

    #[test]
    fn a_single_hidden_part_takes_another_with_it() {
        use Cell::*;
        assert_eq!(
            row(&[10, 3, 0, 7]),
            vec![Shown(10), Suppressed, Shown(0), Suppressed, Shown(20)]
        );
        // Two hidden parts already protect each other.
        assert_eq!(
            row(&[10, 3, 2, 7]),
            vec![Shown(10), Suppressed, Suppressed, Shown(7), Shown(22)]
        );
        assert_eq!(row(&[5, 5]), vec![Shown(5), Shown(5), Shown(10)]);
        assert_eq!(row(&[4, 0]), vec![Suppressed, Shown(0), Suppressed]);
        assert_eq!(row(&[0, 0]), vec![Shown(0), Shown(0), Shown(0)]);
        // Nothing else to hide: the total goes instead.
        assert_eq!(
            row(&[3, 0, 5]),
            vec![Suppressed, Shown(0), Suppressed, Shown(8)]
        );
        assert_eq!(
            row(&[3, 0, 0]),
            vec![Suppressed, Shown(0), Shown(0), Suppressed]
        );
    }

    #[test]
    fn grids_protect_rows_and_columns_together() {
        use Cell::*;
        // Tiers 1-3 and their total: tier 1's 1 would be 15 - 9 - 5.
        let g = protect_grid(&[vec![1], vec![9], vec![5], vec![15]], false, true);
        assert_eq!(
            g,
            vec![
                vec![Suppressed],
                vec![Shown(9)],
                vec![Suppressed],
                vec![Shown(15)]
            ]
        );
        // Two directions: hiding a partner in a column can leave a row with one hidden cell,
        // which is then protected in turn.
        let values = vec![vec![3, 10, 13], vec![10, 20, 30], vec![13, 30, 43]];
        let g = protect_grid(&values, true, true);
        for (r, row) in g.iter().enumerate() {
            let hidden = row[..2].iter().filter(|c| c.is_suppressed()).count();
            assert!(hidden != 1 || row[2].is_suppressed(), "row {r}: {row:?}");
        }
        for c in 0..3 {
            let hidden = (0..2).filter(|&r| g[r][c].is_suppressed()).count();
            assert!(hidden != 1 || g[2][c].is_suppressed(), "column {c}: {g:?}");
        }
        assert_eq!(g[0][0], Suppressed);
        // Nothing small: nothing hidden.
        let g = protect_grid(
            &[vec![5, 6, 11], vec![7, 8, 15], vec![12, 14, 26]],
            true,
            true,
        );
        assert!(g.iter().flatten().all(|c| !c.is_suppressed()));
    }

    #[test]
    fn comparisons_use_the_interval() {
        assert_eq!(against(rate(50, 100).value, Some(0.27)), "above");
        assert_eq!(against(rate(5, 100).value, Some(0.27)), "below");
        assert_eq!(
            against(rate(6, 20).value, Some(0.27)),
            "no clear difference"
        );
        assert_eq!(against(rate(2, 20).value, Some(0.27)), "");
    }

    #[test]
    fn medians() {
        assert_eq!(median(&mut []), None);
        assert_eq!(median(&mut [5, 1, 3]), Some(3.0));
        assert_eq!(median(&mut [4, 1, 3, 2]), Some(2.5));
    }
}
