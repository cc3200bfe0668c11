"""Reviews: both members answer privately, the answers are revealed together, then they act."""
