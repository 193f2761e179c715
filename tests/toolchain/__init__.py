"""Tests of the Terraform toolchain beside the house: the offline provider and its installer."""
