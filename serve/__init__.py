"""serve package of ecocast."""
