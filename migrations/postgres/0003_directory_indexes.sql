-- The directory lists providers by name and filters by tier and place type; the benchmark at
-- national scale (15,000 providers) showed these sorts and lookups scanning whole tables.
CREATE INDEX providers_name ON providers(name, id);
CREATE INDEX provider_tiers_tier ON provider_tiers(tier, provider_id);
CREATE INDEX provider_place_types_key ON provider_place_types(place_type_key, provider_id);
CREATE INDEX pupils_name ON pupils(legal_surname, legal_forename, id);
