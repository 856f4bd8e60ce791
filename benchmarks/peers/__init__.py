"""Peer forecasters replayed on the product's air backtest protocol.

Off-the-shelf forecasters that a competent modeler would set up on the same data, run under
exactly the rules of the product brief ("Forecast protocol (air)", "Backtest contract"), so
that ecocast's skill can be compared with theirs:

``mlforecast``
    Nixtla mlforecast with LightGBM, from the pollutant history only.
``mlforecast_pp``
    The same with the station weather at the valid time as future exogenous input
    ("perfect prognosis": observed weather stands in for a perfect weather forecast).
``statsforecast``
    Nixtla statsforecast MSTL (daily season 24 h, AutoETS trend), fitted per issue on a
    bounded window.

:mod:`benchmarks.peers.protocol` holds the rules (what a peer may see at each issue, the
output format) and needs neither library; the peers import theirs when they are built.
Run ``python -m benchmarks.peers --help``.
"""
