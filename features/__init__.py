"""features package of ecocast."""
