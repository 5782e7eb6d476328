//! Pages → vault paths (SPEC §5 "Layout"). Owned by the layout helper.
