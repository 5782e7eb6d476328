//! ProseMirror JSON ↔ Markdown (SPEC §5 "Body conversion"). Owned by the converter helper.
