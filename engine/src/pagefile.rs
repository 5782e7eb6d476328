//! The page file format (SPEC §5 "Page file format"). Owned by the layout helper.
