"""Everything Immich-facing: typed models and a version-aware client."""
