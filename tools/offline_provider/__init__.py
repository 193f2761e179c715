"""Offline stand-in for hashicorp/aws: schema generator (from the CDKTF bindings) and installer.

A test bench beside the house: the infrastructure code never imports this package.
"""
