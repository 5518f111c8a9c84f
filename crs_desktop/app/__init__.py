"""The application core, no Qt: the chart session, shifts, plot data, the demo course."""
