"""QA-1 / APP-2: the image repository scans, keeps tags immutable, expires old images, uses the ECR key."""

import json

import pytest

from constructs_lib.ecr import ImageRepository, ImageRepositoryProps
from constructs_lib.kms import CustomerKey, CustomerKeyProps
from tests.support.constructs import TEST_ACCOUNT, TEST_NAMING, TEST_REGION, synth_construct
from tests.support.runtime import address, role_policy


@pytest.mark.req("APP-2")
@pytest.mark.req("QA-1")
def test_repository_scans_on_push_keeps_tags_immutable_and_uses_the_ecr_key(runtime):
    # GIVEN the runtime composition, WHEN synthesized
    repository = runtime.only("aws_ecr_repository")
    # THEN every push is scanned, a tag never moves, and images are encrypted with the region's ECR CMK
    assert repository["name"] == "meridian-payment-service-test"
    assert repository["image_scanning_configuration"] == {"scan_on_push": True}
    assert repository["image_tag_mutability"] == "IMMUTABLE"
    key = address(runtime, "aws_kms_key", "keys/ecr")
    assert repository["encryption_configuration"] == [{"encryption_type": "KMS", "kms_key": f"${{{key}.arn}}"}]


@pytest.mark.req("APP-2")
@pytest.mark.req("OPS-5")
def test_lifecycle_keeps_a_bounded_number_of_images_and_expires_untagged_layers(runtime):
    lifecycle = runtime.only("aws_ecr_lifecycle_policy")
    assert lifecycle["repository"] == f"${{{address(runtime, 'aws_ecr_repository', 'images')}.name}}"
    rules = {rule["selection"]["tagStatus"]: rule for rule in json.loads(lifecycle["policy"])["rules"]}
    assert rules["any"]["selection"] == {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 30}
    assert rules["untagged"]["selection"]["countType"] == "sinceImagePushed"
    assert rules["untagged"]["selection"]["countNumber"] == 7
    assert {rule["action"]["type"] for rule in rules.values()} == {"expire"}


@pytest.mark.req("APP-2")
@pytest.mark.req("SEC-5")
def test_grant_pull_names_this_repository_and_only_the_registry_token_is_on_star(runtime):
    statements = role_policy(runtime, "meridian-payment-service-execution-eu-west-1-test")
    repository_arn = f"${{{address(runtime, 'aws_ecr_repository', 'images')}.arn}}"
    (pull,) = [s for s in statements if "ecr:BatchGetImage" in s["Action"]]
    assert pull["Resource"] == repository_arn
    assert sorted(pull["Action"]) == [
        "ecr:BatchCheckLayerAvailability",
        "ecr:BatchGetImage",
        "ecr:GetDownloadUrlForLayer",
    ]
    on_star = [s for s in statements if s["Resource"] == "*"]
    assert [s["Action"] for s in on_star] == ["ecr:GetAuthorizationToken"]


@pytest.mark.req("APP-2")
def test_image_reference_is_registry_name_and_tag_of_this_region():
    def build(stack):
        key = CustomerKey(stack, "ecr", CustomerKeyProps("ecr", TEST_NAMING, TEST_ACCOUNT, TEST_REGION))
        repository = ImageRepository(
            stack, "images", ImageRepositoryProps("meridian-api-test", key, TEST_REGION, TEST_ACCOUNT)
        )
        assert (
            repository.image("2.0.1") == f"{TEST_ACCOUNT}.dkr.ecr.{TEST_REGION}.amazonaws.com/meridian-api-test:2.0.1"
        )

    synth_construct(build)


@pytest.mark.req("APP-2")
def test_repository_refuses_a_key_of_another_data_class():
    def build(stack):
        key = CustomerKey(stack, "s3", CustomerKeyProps("s3", TEST_NAMING, TEST_ACCOUNT, TEST_REGION))
        ImageRepositoryProps("meridian-api-test", key, TEST_REGION, TEST_ACCOUNT)

    with pytest.raises(ValueError, match="encrypted with the 'ecr' key, not the 's3' key"):
        synth_construct(build)
