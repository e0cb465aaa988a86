//! Great-circle distance.

const EARTH_RADIUS_KM: f64 = 6371.0088;

/// Haversine distance in kilometres between two (latitude, longitude) points in degrees.
pub fn haversine_km(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lon1) = (a.0.to_radians(), a.1.to_radians());
    let (lat2, lon2) = (b.0.to_radians(), b.1.to_radians());
    let dlat = lat2 - lat1;
    let dlon = lon2 - lon1;
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * h.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_distances() {
        // Sheffield city centre to Doncaster: about 28 km.
        let d = haversine_km((53.3811, -1.4701), (53.5228, -1.1285));
        assert!((d - 27.3).abs() < 1.0, "{d}");
        assert_eq!(haversine_km((53.0, -1.0), (53.0, -1.0)), 0.0);
        // One degree of latitude is about 111.2 km.
        assert!((haversine_km((53.0, -1.0), (54.0, -1.0)) - 111.2).abs() < 0.2);
    }
}
