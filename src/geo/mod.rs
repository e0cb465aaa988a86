//! Where a postcode is: a bundled table of postcode-district (outward code) centroids for
//! Sheffield and its neighbours (S, DN, HD, DE and WF areas). The centroids are approximate
//! (to about 1 km); a deployment for another area adds its districts to `districts.csv`, or a
//! full postcode table where one is licensed.

use crate::domain::{Invalid, Postcode};
use std::collections::HashMap;
use std::sync::OnceLock;

static DISTRICTS: OnceLock<HashMap<String, (f64, f64)>> = OnceLock::new();

fn districts() -> &'static HashMap<String, (f64, f64)> {
    DISTRICTS.get_or_init(|| {
        include_str!("districts.csv")
            .lines()
            .skip(1)
            .filter_map(|l| {
                let mut parts = l.split(',');
                let outward = parts.next()?.trim().to_string();
                let lat = parts.next()?.trim().parse().ok()?;
                let lon = parts.next()?.trim().parse().ok()?;
                Some((outward, (lat, lon)))
            })
            .collect()
    })
}

/// The (latitude, longitude) of a postcode, if its district is known.
pub fn locate(postcode: &Postcode) -> Option<(f64, f64)> {
    districts().get(postcode.outward()).copied()
}

/// A place to measure distance from, as people type it: a postcode, an outward code on its own
/// (`S5`), or `lat,lon`. Unknown postcodes are an error, not an empty result.
pub fn parse_near(input: &str) -> Result<(f64, f64), Invalid> {
    let s = input.trim();
    if let Some((a, b)) = s.split_once(',') {
        let lat: f64 = a.trim().parse().map_err(|_| {
            Invalid::new("Enter a postcode, or a latitude and longitude like 53.38,-1.47")
        })?;
        let lon: f64 = b.trim().parse().map_err(|_| {
            Invalid::new("Enter a postcode, or a latitude and longitude like 53.38,-1.47")
        })?;
        if !(-90.0..=90.0).contains(&lat)
            || !(-180.0..=180.0).contains(&lon)
            || !lat.is_finite()
            || !lon.is_finite()
        {
            return Err(Invalid::new(
                "Latitude must be between -90 and 90 and longitude between -180 and 180",
            ));
        }
        return Ok((lat, lon));
    }
    let upper = s.to_ascii_uppercase();
    if let Some(p) = districts().get(upper.as_str()) {
        return Ok(*p);
    }
    let postcode = Postcode::parse(s)?;
    locate(&postcode).ok_or_else(|| {
        Invalid::new(format!(
            "We do not know where {} is. Try a postcode in Sheffield or a neighbouring area",
            postcode.as_str()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bundled_districts_cover_sheffield_and_neighbours() {
        for d in ["S1", "S5", "S36", "DN1", "HD1", "DE1", "WF1"] {
            assert!(districts().contains_key(d), "{d}");
        }
        assert!(districts().len() > 120);
        for (lat, lon) in districts().values() {
            assert!((52.5..54.0).contains(lat) && (-2.0..0.1).contains(lon));
        }
    }

    #[test]
    fn parse_near_forms() {
        assert_eq!(parse_near("S1 2AB").unwrap(), (53.3808, -1.47));
        assert_eq!(parse_near("s5").unwrap(), (53.425, -1.46));
        assert_eq!(parse_near(" 53.38 , -1.47 ").unwrap(), (53.38, -1.47));
        assert!(parse_near("SW1A 1AA")
            .unwrap_err()
            .0
            .contains("do not know where SW1A 1AA is"));
        assert!(parse_near("not a place").is_err());
        assert!(parse_near("91,0").is_err());
        assert!(parse_near("NaN,0").is_err());
    }
}
