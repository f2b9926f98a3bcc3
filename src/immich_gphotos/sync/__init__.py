"""The sync: pure planning (eligibility, plan), execution (engine) and the run's report."""
