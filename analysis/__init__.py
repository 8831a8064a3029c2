"""Pure functions over run records: scores, fidelity, plots and reports."""
