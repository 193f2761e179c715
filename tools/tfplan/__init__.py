"""The plan harness: Terraform working copies of synthesized stacks, run offline or for real.

A test bench beside the infrastructure code: stacks/ and constructs_lib/ never import it.
"""
