"""Lift retrofits (既有住宅加装电梯): consent, cost shared by floor, payments, upkeep."""
