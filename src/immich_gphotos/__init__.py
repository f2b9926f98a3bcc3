"""immich-gphotos: mirror chosen Immich albums into Google Photos albums."""

__version__ = "0.1.0"
