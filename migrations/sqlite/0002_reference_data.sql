-- National reference data (DfE), the same for every council. Local labels are configuration.
INSERT INTO tiers (tier, dfe_meaning) VALUES
 (1, 'Targeted support in mainstream schools'),
 (2, 'Time-limited placements to assess and address needs'),
 (3, 'Transitional placements for pupils who need to move on');

INSERT INTO place_types (key, name, definition, typical_length, sort_order) VALUES
 ('medical', 'Medical', 'Alongside a treatment plan, for pupils medically unable to attend school', 'As needed', 1),
 ('exclusion', 'Exclusion (6th-day)', 'For excluded pupils; behaviour change and reintegration', 'Until a new placement', 2),
 ('vocational', 'Vocational', 'Qualification-led, alongside the school curriculum, towards post-16', 'One or more terms', 3),
 ('intervention_assessment', 'Intervention & assessment', 'Short, part-time and targeted; assesses or addresses needs to cut the risk of exclusion', 'Weeks', 4),
 ('ks1_3_full_time', 'KS1-3 full time', 'Assess and meet needs, then back to school; dual registered', 'Extended', 5),
 ('ks4_full_time', 'KS4 full time', 'Assess and meet needs, then post-16; dual registered', 'To the end of Year 11', 6),
 ('step_out', 'Step out', 'Short and full time, after an excludable incident; up to 6 weeks', 'Up to 6 weeks', 7),
 ('engagement', 'Engagement', 'For learners not yet able to engage with formal learning', 'Varies', 8),
 ('outreach', 'Outreach', 'AP staff working in mainstream schools (tier 1), for example nurture-based', 'Short', 9);

INSERT INTO key_stages (key, name, sort_order) VALUES
 ('KS1', 'Key stage 1 (ages 5 to 7)', 1),
 ('KS2', 'Key stage 2 (ages 7 to 11)', 2),
 ('KS3', 'Key stage 3 (ages 11 to 14)', 3),
 ('KS4', 'Key stage 4 (ages 14 to 16)', 4),
 ('KS5', 'Key stage 5 (ages 16 to 18)', 5);

INSERT INTO needs (key, name, sort_order) VALUES
 ('SEMH', 'Social, emotional and mental health', 1),
 ('ASD', 'Autistic spectrum disorder', 2),
 ('SLCN', 'Speech, language and communication needs', 3),
 ('MLD', 'Moderate learning difficulty', 4),
 ('SLD', 'Severe learning difficulty', 5),
 ('PMLD', 'Profound and multiple learning difficulty', 6),
 ('SpLD', 'Specific learning difficulty', 7),
 ('HI', 'Hearing impairment', 8),
 ('VI', 'Visual impairment', 9),
 ('MSI', 'Multi-sensory impairment', 10),
 ('PD', 'Physical disability', 11),
 ('OTH', 'Other difficulty or disability', 12);
