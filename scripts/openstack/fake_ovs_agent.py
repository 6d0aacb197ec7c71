"""A stand-in for the Open vSwitch agents of the fake compute hosts: it only reports their state to Neutron.

ML2's openvswitch mechanism driver binds a port on a host only when an alive OVS agent there maps the network's
physical network (bridge_mappings). Nova's fake virt driver plugs nothing, so this process reports one agent per
compute host over Neutron's real report-state RPC, every 20 s, with every physical network mapped. It wires no
traffic: the control plane checks what OpenStack accepts, not the data path.

    python3 -c 'import fake_ovs_agent; fake_ovs_agent.main()' --config-file neutron.conf -- MAPPINGS.json HOST...
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def main() -> None:
    split = sys.argv.index("--")
    conf_args, (mappings_file, *hosts) = sys.argv[1:split], sys.argv[split + 1 :]
    from neutron.agent import rpc as agent_rpc
    from neutron.common import config as common_config
    from neutron.conf.agent import common as agent_config
    from neutron_lib import constants, context
    from neutron_lib import rpc as n_rpc
    from neutron_lib.agent import topics
    from oslo_config import cfg

    common_config.register_common_config_options()
    agent_config.register_agent_state_opts_helper(cfg.CONF)
    cfg.CONF(conf_args, project="neutron")
    common_config.setup_logging()
    n_rpc.init(cfg.CONF)
    mappings = json.loads(Path(mappings_file).read_text(encoding="utf-8"))
    api = agent_rpc.PluginReportStateAPI(topics.REPORTS)
    ctx = context.get_admin_context_without_session()
    first = True
    while True:
        for host in hosts:
            state = {
                "binary": "neutron-openvswitch-agent",
                "host": host,
                "topic": constants.L2_AGENT_TOPIC,
                "agent_type": constants.AGENT_TYPE_OVS,
                "start_flag": first,
                "configurations": {
                    "bridge_mappings": mappings,
                    "tunnel_types": [],
                    "integration_bridge": "br-int",
                    "datapath_type": "system",
                    "ovs_hybrid_plug": False,
                    "ovs_capabilities": {"datapath_types": ["system"], "iface_types": ["internal", "system"]},
                    "resource_provider_bandwidths": {},
                    "resource_provider_inventory_defaults": {},
                },
            }
            try:
                api.report_state(ctx, state, use_call=True)
            except Exception as err:
                print(f"report for {host} failed: {err}", file=sys.stderr, flush=True)
        first = False
        time.sleep(20)
