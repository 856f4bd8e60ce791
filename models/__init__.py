"""models package of ecocast."""
