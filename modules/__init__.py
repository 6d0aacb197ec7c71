"""itpark's Pulumi components: each translates one part of the plan into pulumi-openstack resources."""
