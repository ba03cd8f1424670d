"""Where the Studio domain lives: a dedicated VPC, or the user's own VPC and subnets."""

from __future__ import annotations

from typing import cast

from aws_cdk import RemovalPolicy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from config import NetworkSettings

NFS_PORT = 2049


class StudioNetwork(Construct):
    """The VPC, subnets and security group the Studio domain is placed in.

    The dedicated VPC has private isolated subnets and no NAT gateway: with
    PublicInternetOnly networking, Studio reaches the internet through SageMaker's own
    VPC, and this VPC only hosts the home EFS mount targets. Nothing is looked up at
    synth; an existing VPC is referenced by the IDs given in config.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        settings: NetworkSettings,
        flow_log_retention: logs.RetentionDays = logs.RetentionDays.ONE_MONTH,
        retain_flow_logs: bool = False,
        encryption_key: kms.IKey | None = None,
    ) -> None:
        super().__init__(scope, construct_id)
        if settings.mode == "dedicated":
            vpc = ec2.Vpc(
                self,
                "Vpc",
                ip_addresses=ec2.IpAddresses.cidr(settings.vpc_cidr),
                max_azs=2,
                nat_gateways=0,
                subnet_configuration=[
                    ec2.SubnetConfiguration(
                        name="studio", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED, cidr_mask=20
                    )
                ],
                restrict_default_security_group=True,
            )
            vpc.add_flow_log(
                "FlowLog",
                destination=ec2.FlowLogDestination.to_cloud_watch_logs(
                    logs.LogGroup(
                        self,
                        "FlowLogGroup",
                        retention=flow_log_retention,
                        # Kept on destroy only where the environment keeps its data.
                        removal_policy=(
                            RemovalPolicy.RETAIN if retain_flow_logs else RemovalPolicy.DESTROY
                        ),
                        encryption_key=encryption_key,
                    )
                ),
                traffic_type=ec2.FlowLogTrafficType.REJECT,
            )
            self.vpc: ec2.IVpc = vpc
            self.subnet_ids: list[str] = [subnet.subnet_id for subnet in vpc.isolated_subnets]
        else:
            self.vpc = ec2.Vpc.from_vpc_attributes(
                self,
                "Vpc",
                # The settings' validator requires it with mode 'existing'.
                vpc_id=cast(str, settings.vpc_id),
                availability_zones=list(settings.availability_zones or ()),
            )
            self.subnet_ids = list(settings.subnet_ids)

        self.security_group = ec2.SecurityGroup(
            self,
            "DomainSecurityGroup",
            vpc=self.vpc,
            description="Studio domain apps; NFS to the home file system only within this group",
            allow_all_outbound=True,
        )
        self.security_group.add_ingress_rule(
            self.security_group,
            ec2.Port.tcp(NFS_PORT),
            "NFS between Studio apps and the home EFS, inside this group only",
        )
