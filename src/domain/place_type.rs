use super::Invalid;

/// Sheffield's AP place types (DOMAIN.md section 4). A provider offers several; a placement one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PlaceType {
    Medical,
    Exclusion,
    Vocational,
    InterventionAssessment,
    Ks13FullTime,
    Ks4FullTime,
    StepOut,
    Engagement,
    Outreach,
}

impl PlaceType {
    pub const ALL: [PlaceType; 9] = [
        PlaceType::Medical,
        PlaceType::Exclusion,
        PlaceType::Vocational,
        PlaceType::InterventionAssessment,
        PlaceType::Ks13FullTime,
        PlaceType::Ks4FullTime,
        PlaceType::StepOut,
        PlaceType::Engagement,
        PlaceType::Outreach,
    ];

    pub fn key(self) -> &'static str {
        match self {
            PlaceType::Medical => "medical",
            PlaceType::Exclusion => "exclusion",
            PlaceType::Vocational => "vocational",
            PlaceType::InterventionAssessment => "intervention_assessment",
            PlaceType::Ks13FullTime => "ks1_3_full_time",
            PlaceType::Ks4FullTime => "ks4_full_time",
            PlaceType::StepOut => "step_out",
            PlaceType::Engagement => "engagement",
            PlaceType::Outreach => "outreach",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            PlaceType::Medical => "Medical",
            PlaceType::Exclusion => "Exclusion (6th-day)",
            PlaceType::Vocational => "Vocational",
            PlaceType::InterventionAssessment => "Intervention & assessment",
            PlaceType::Ks13FullTime => "KS1-3 full time",
            PlaceType::Ks4FullTime => "KS4 full time",
            PlaceType::StepOut => "Step out",
            PlaceType::Engagement => "Engagement",
            PlaceType::Outreach => "Outreach",
        }
    }

    pub fn definition(self) -> &'static str {
        match self {
            PlaceType::Medical => "Alongside a treatment plan, for pupils medically unable to attend school",
            PlaceType::Exclusion => "For excluded pupils; behaviour change and reintegration",
            PlaceType::Vocational => "Qualification-led, alongside the school curriculum, towards post-16",
            PlaceType::InterventionAssessment => "Short, part-time and targeted; assesses or addresses needs to cut the risk of exclusion",
            PlaceType::Ks13FullTime => "Assess and meet needs, then back to school; dual registered",
            PlaceType::Ks4FullTime => "Assess and meet needs, then post-16; dual registered",
            PlaceType::StepOut => "Short and full time, after an excludable incident; up to 6 weeks",
            PlaceType::Engagement => "For learners not yet able to engage with formal learning",
            PlaceType::Outreach => "AP staff working in mainstream schools (tier 1), for example nurture-based",
        }
    }

    pub fn typical_length(self) -> &'static str {
        match self {
            PlaceType::Medical => "As needed",
            PlaceType::Exclusion => "Until a new placement",
            PlaceType::Vocational => "One or more terms",
            PlaceType::InterventionAssessment => "Weeks",
            PlaceType::Ks13FullTime => "Extended",
            PlaceType::Ks4FullTime => "To the end of Year 11",
            PlaceType::StepOut => "Up to 6 weeks",
            PlaceType::Engagement => "Varies",
            PlaceType::Outreach => "Short",
        }
    }

    /// Accepts the key (`step_out`) or the display name (`Step out`), any case.
    pub fn parse(input: &str) -> Result<PlaceType, Invalid> {
        let norm = input.trim().to_ascii_lowercase();
        PlaceType::ALL
            .into_iter()
            .find(|p| p.key() == norm || p.name().to_ascii_lowercase() == norm)
            .ok_or_else(|| {
                Invalid::new(format!(
                    "\"{}\" is not a place type; use one of: {}",
                    super::tier::truncate(input),
                    PlaceType::ALL.map(|p| p.key()).join(", ")
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        for p in PlaceType::ALL {
            assert_eq!(PlaceType::parse(p.key()).unwrap(), p);
            assert_eq!(PlaceType::parse(&p.name().to_uppercase()).unwrap(), p);
        }
    }

    #[test]
    fn unknown_is_refused_with_the_list() {
        let e = PlaceType::parse("boarding").unwrap_err();
        assert!(e.0.contains("step_out"));
        assert!(PlaceType::parse("").is_err());
    }
}
