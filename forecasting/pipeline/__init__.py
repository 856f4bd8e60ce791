"""Experiments end to end: train, backtest, promote and issue.

The pipeline is the top layer of ecocast: it reads experiment files
(:mod:`forecasting.pipeline.experiment`), builds model matrices with
:mod:`features`, fits and verifies :mod:`models`, writes the backtest contract's
files and tracks every run in MLflow. Nothing below it imports it.
"""
