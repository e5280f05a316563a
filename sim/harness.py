"""verda-patch sim harness: real nova scheduling and quota code over a fleet.

Written to .verda/sim/ and run by `verda-patch sim` in the project's cached
nova virtualenv, once per variant:

    python harness.py NOVA_TREE VARIANT FLEET.json RESULT.json

NOVA_TREE is put first on sys.path, so `import nova` imports that tree (the
upstream snapshot of the pin or custom-source/nova); the path of the package
actually imported is reported. VARIANT is `upstream` (nova's defaults),
`weigher-cache` ([filter_scheduler] weigher_cache = True) or `weigh-first`
([filter_scheduler] scheduling_strategy = weigh-first).

Nothing of the scheduler or of the quota code is modelled here. The fleet
becomes nova's own ComputeNode records, services, aggregates and instances;
every request goes through the real quota check (compute.utils.
check_num_instances_quota), the real SchedulerManager.select_destinations
with the configured filters and weighers, and the conductor's real quota
recheck (ComputeTaskManager._recheck_quota) after scheduling.

Host states are built per request, as nova 31's HostManager._get_host_states
does: new HostState objects updated from the compute node records, the
services, aggregates and the instances each host runs. A request's
consumption stays in its own host states; the records change when a compute
builds an instance (after the conductor's recheck passed): its usage, its PCI
device pools, and the instance, reported with its image's system metadata
(as nova-compute's update_instance_info does). The instances running from
the start are known without their system metadata (as the HostManager loads
them), so nova fills it in through InstanceList.fill_metadata.

Placement is real by default (the fleet's `scheduler.placement` is
`real`): openstack-placement of the series runs in process with its own
in-memory SQLite database behind wsgi-intercept, as in nova's functional
tests (nova/tests/functional/fixtures.py, PlacementFixture). Every host is a
resource provider with VCPU, MEMORY_MB and DISK_GB inventories, its
aggregates, COMPUTE_STATUS_DISABLED when disabled, and allocations for the
usage it starts with. PCI devices are in placement ([pci]
report_in_placement, [filter_scheduler] pci_in_placement): each device is a
child provider with one unit of CUSTOM_PCI_<VENDOR>_<PRODUCT>, as nova's
PCI placement translator reports it, and a GPU request asks for one request
group per device. Nova's own report client asks placement for allocation
candidates (with nova's `limit`, [scheduler] max_placement_results) and
claims every instance with a real PUT /allocations, which placement can
refuse. With `fake` placement, candidates are every host with room (and
free devices), one per host, cut to the same limit in host order, and a
claim is a check against fake placement's own books: no database, no HTTP.

Only the rest of the I/O is faked: the cell and API databases (instances,
quota limits, aggregates, compute nodes) and notifications. Whether a
compute service is up is answered by nova's own servicegroup DB driver,
from a heartbeat taken when the fleet is built.

With `scheduler.workers` = N > 1, N threads take requests from one shared
stream and run them through the one SchedulerManager at once, as nova's
scheduler service serves concurrent RPC calls; each request builds its own
host states from the records, and they share the one placement, whose
requests are served one at a time. Then the order in which requests meet
the hosts depends on thread timing: placements are not deterministic.

Progress goes to stderr as one JSON object per line (`{"placed": N}`, the
instances placed so far); the result is written as JSON to RESULT.json.
"""

import contextlib
import gc
import json
import os
import random
import sys
import threading
import time
import uuid
from unittest import mock

VARIANTS = ('upstream', 'weigher-cache', 'weigh-first')


def progress(**event):
    sys.stderr.write(json.dumps(event) + '\n')
    sys.stderr.flush()


def main(tree, variant, fleet_path, result_path):
    if variant not in VARIANTS:
        raise SystemExit('unknown variant %r (one of %s)' % (
            variant, ', '.join(VARIANTS)))
    sys.path.insert(0, os.path.abspath(tree))
    with open(fleet_path) as f:
        fleet = json.load(f)
    result = Simulation(fleet, variant).run()
    with open(result_path, 'w') as f:
        json.dump(result, f)


class Simulation(object):

    def __init__(self, fleet, variant):
        self.fleet = fleet
        self.variant = variant
        self.settings = fleet['scheduler']
        self.real_placement = self.settings['placement'] == 'real'
        self.workers = self.settings['workers']
        # Per thread: whether filter and weigher calls are counted, and the
        # time (wall and CPU) of the harness's own checks and of placement
        # during the current call.
        self.local = threading.local()
        self.lock = threading.Lock()
        # Placement serves one request at a time (one SQLite connection).
        self.placement_lock = threading.Lock()
        self.filter_calls = 0
        self.weigher_calls = 0
        self.violations = []
        self.placed = 0
        self.claims = 0
        self.claims_refused = 0
        self.claim_conflicts = 0
        # The first refusals placement gave, as it worded them.
        self.refusals = []
        # The fake cell database: instances per project, as
        # (user_id, flavor) pairs, and every instance's system metadata.
        self.instances = {}
        self.system_metadata = {}
        # The conductor's quota recheck: instances refused after scheduling
        # (their allocations deleted); instances the computes could not
        # build (the host's record, as the compute sees it, had no room).
        self.recheck_refused = 0
        self.build_failures = []
        # ImagePropertiesWeigher calls that returned a non-zero weight.
        self.image_weights_nonzero = 0
        # Claims whose allocation request is not the instance's own (its
        # flavor's resources, its devices): host states shared between
        # concurrent requests would hand one request's candidates to
        # another.
        self.claims_mismatched = 0

    # ---- nova setup ----------------------------------------------------

    def configure(self):
        import nova
        import nova.conf
        from nova import objects

        self.nova_module_path = os.path.dirname(
            os.path.abspath(nova.__file__))
        objects.register_all()
        conf = nova.conf.CONF
        conf([], project='nova', default_config_files=[])
        fleet = self.fleet
        conf.set_override('enabled_filters', fleet['filters'],
                          group='filter_scheduler')
        settings = self.settings
        conf.set_override('max_placement_results',
                          settings['max_placement_results'],
                          group='scheduler')
        conf.set_override('host_subset_size', settings['host_subset_size'],
                          group='filter_scheduler')
        conf.set_override('shuffle_best_same_weighed_hosts',
                          settings['shuffle_best_same_weighed_hosts'],
                          group='filter_scheduler')
        for option, value in sorted(settings['weigher_multipliers'].items()):
            if option not in conf.filter_scheduler:
                raise SystemExit(
                    'this nova has no [filter_scheduler] %s' % option)
            conf.set_override(option, value, group='filter_scheduler')
        conf.set_override('alias', [json.dumps({
            'name': alias['name'], 'vendor_id': alias['vendor_id'],
            'product_id': alias['product_id'], 'device_type': 'type-PCI',
        }) for alias in fleet['pci_aliases']], group='pci')
        # PCI devices are tracked in placement: the computes report them
        # as child providers and the scheduler requests them as request
        # groups, so that a claim allocates the devices and placement
        # refuses a device twice.
        conf.set_override('report_in_placement', True, group='pci')
        conf.set_override('pci_in_placement', True, group='filter_scheduler')
        # The conductor rechecks the quota after scheduling (nova's
        # default).
        conf.set_override('recheck_quota', True, group='quota')
        # The compute services would report every report_interval while the
        # simulation runs; their heartbeat is taken once, when the fleet is
        # built, so it must not age past service_down_time in a long run.
        conf.set_override('service_down_time', 7 * 24 * 3600)
        for resource in ('instances', 'cores', 'ram'):
            conf.set_override(resource, -1, group='quota')
        self.has_pci_quota = 'pci_device_limits' in conf.quota
        if self.has_pci_quota:
            # Register a quota resource per alias, unlimited by default; the
            # per-project limits come from the (fake) quotas table.
            conf.set_override(
                'pci_device_limits',
                {alias['name']: -1 for alias in fleet['pci_aliases']},
                group='quota')
        options = conf.filter_scheduler
        if self.variant == 'weigher-cache':
            if 'weigher_cache' not in options:
                raise SystemExit(
                    'this nova has no [filter_scheduler] weigher_cache')
            conf.set_override('weigher_cache', True,
                              group='filter_scheduler')
        elif self.variant == 'weigh-first':
            if 'scheduling_strategy' not in options:
                raise SystemExit(
                    'this nova has no [filter_scheduler] scheduling_strategy')
            conf.set_override('scheduling_strategy', 'weigh-first',
                              group='filter_scheduler')
        self.conf = conf

    def build_scheduler(self):
        from nova.scheduler import host_manager
        from nova.scheduler import manager

        with mock.patch.object(host_manager.HostManager,
                               '_init_instance_info'), \
                mock.patch.object(host_manager.HostManager,
                                  'refresh_cells_caches'), \
                mock.patch.object(host_manager.HostManager,
                                  '_init_aggregates'), \
                mock.patch('nova.scheduler.client.report.'
                           'report_client_singleton'), \
                mock.patch('nova.rpc.get_notifier'):
            scheduler = manager.SchedulerManager()
        for filter_ in scheduler.host_manager.enabled_filters:
            filter_.host_passes = self.counted_filter(filter_.host_passes)
        for weigher in scheduler.host_manager.weighers:
            weigher._weigh_object = self.counted_weigher(
                weigher._weigh_object,
                type(weigher).__name__ == 'ImagePropertiesWeigher')
        return scheduler

    def counted_filter(self, host_passes):
        def wrapper(host_state, spec_obj):
            if getattr(self.local, 'counting', True):
                self.filter_calls += 1
            return host_passes(host_state, spec_obj)
        return wrapper

    def counted_weigher(self, weigh_object, image_properties=False):
        def wrapper(host_state, weight_properties):
            if getattr(self.local, 'counting', True):
                self.weigher_calls += 1
            weight = weigh_object(host_state, weight_properties)
            if image_properties and weight:
                self.image_weights_nonzero += 1
            return weight
        return wrapper

    # ---- the fleet as nova objects ----------------------------------------

    def build_fleet(self):
        """The cell database as the scheduler reads it: a ComputeNode record
        and a service per host, its aggregates and the instances it runs;
        the PCI devices of every GPU host, one placement provider each."""
        from nova import objects
        from oslo_utils import timeutils

        fleet = self.fleet
        self.aggregates = []
        for agg in fleet['aggregates']:
            metadata = dict(agg['metadata'])
            if agg.get('availability_zone'):
                metadata['availability_zone'] = agg['availability_zone']
            self.aggregates.append(objects.Aggregate(
                id=agg['id'], uuid=agg['uuid'], name=agg['name'],
                hosts=[], metadata=metadata))
        self.aliases = {a['name']: a for a in fleet['pci_aliases']}
        self.images = {i['name']: i for i in fleet.get('images', [])}
        # Images of the instances already running, drawn apart from the
        # fleet's own draws so that adding images changes no host.
        image_draw = random.Random(fleet['seed'])
        image_names = sorted(self.images)
        # Every compute service has just reported: ComputeFilter asks nova's
        # own servicegroup DB driver, which compares this with the clock.
        heartbeat = timeutils.utcnow()
        self.computes = []
        self.services = []
        self.host_aggregates = []
        self.index_by_uuid = {}
        self.devices = {}
        self.instance_info = {}
        for i, h in enumerate(fleet['hosts']):
            aggregates = [self.aggregates[a] for a in h['aggregates']]
            for agg in aggregates:
                agg.hosts.append(h['name'])
            devices = []
            for p in h['pci']:
                alias = self.aliases[p['alias']]
                for d in range(p['devices']):
                    address = '0000:%02x:00.0' % (0x81 + len(devices))
                    devices.append({
                        'alias': p['alias'], 'address': address,
                        'vendor_id': alias['vendor_id'],
                        'product_id': alias['product_id'],
                        'resource_class': self.pci_resource_class(alias),
                        'rp_uuid': str(uuid.uuid5(
                            uuid.UUID(h['uuid']), address)),
                        'instance': (None if d >= p['devices'] - p['free']
                                     else 'existing')})
            self.devices[h['uuid']] = devices
            compute = objects.ComputeNode(
                id=i + 1, uuid=h['uuid'], host=h['name'],
                hypervisor_hostname=h['name'],
                vcpus=h['vcpus'], vcpus_used=h['vcpus_used'],
                memory_mb=h['memory_mb'],
                memory_mb_used=h['memory_mb_used'],
                free_ram_mb=h['memory_mb'] - h['memory_mb_used'],
                local_gb=h['disk_gb'], local_gb_used=h['disk_gb_used'],
                free_disk_gb=h['disk_gb'] - h['disk_gb_used'],
                disk_available_least=None,
                hypervisor_type='QEMU',
                hypervisor_version=h['hypervisor_version'],
                host_ip='10.%d.%d.%d' % (i >> 16, (i >> 8) & 255, i & 255),
                cpu_info='{}', supported_hv_specs=[],
                stats={'num_instances': str(h['num_instances']),
                       'io_workload': str(h['io_ops']),
                       'failed_builds': str(h['failed_builds'])},
                metrics='[]', numa_topology=None,
                pci_device_pools=self.device_pools(devices),
                cpu_allocation_ratio=h['cpu_allocation_ratio'],
                ram_allocation_ratio=h['ram_allocation_ratio'],
                disk_allocation_ratio=h['disk_allocation_ratio'],
                updated_at=heartbeat)
            self.computes.append(compute)
            self.services.append({
                'id': i + 1, 'host': h['name'], 'binary': 'nova-compute',
                'disabled': h['disabled'], 'disabled_reason': None,
                'forced_down': False, 'created_at': heartbeat,
                'last_seen_up': heartbeat})
            self.host_aggregates.append(aggregates)
            self.index_by_uuid[h['uuid']] = i
            # The instances the host runs, as the scheduler's HostManager
            # holds them from its start (InstanceList.get_by_filters with
            # no expected_attrs: no system_metadata loaded).
            running = {}
            for n in range(h['num_instances']):
                instance_uuid = str(uuid.uuid5(uuid.UUID(h['uuid']),
                                               'running-%d' % n))
                image = (image_draw.choice(image_names)
                         if image_names else None)
                self.system_metadata[instance_uuid] = (
                    self.image_system_metadata(image))
                running[instance_uuid] = objects.Instance(
                    uuid=instance_uuid, host=h['name'],
                    node=h['name'], image_ref=image or '')
            self.instance_info[h['name']] = running
        self.flavors = {}
        for i, f in enumerate(fleet['flavors']):
            extra_specs = {}
            if f.get('pci_alias'):
                extra_specs['pci_passthrough:alias'] = f['pci_alias']
            self.flavors[f['name']] = objects.Flavor(
                id=i + 1, flavorid=str(i + 1), name=f['name'],
                vcpus=f['vcpus'], memory_mb=f['ram_mb'],
                root_gb=f['disk_gb'], ephemeral_gb=0, swap=0,
                rxtx_factor=1.0, vcpu_weight=0, disabled=False,
                is_public=True, extra_specs=extra_specs)
        self.projects = {p['id']: p for p in fleet['projects']}
        for project in fleet['projects']:
            held = self.instances.setdefault(project['id'], [])
            for existing in project['existing']:
                flavor = self.flavors[existing['flavor']]
                held.extend([('user-' + project['id'], flavor)] *
                            existing['count'])

    @staticmethod
    def pci_resource_class(alias):
        """The resource class nova's PCI placement translator gives a
        device without a resource_class tag."""
        from nova.compute import pci_placement_translator
        return pci_placement_translator.get_resource_class(
            None, alias['vendor_id'], alias['product_id'])

    @staticmethod
    def device_pools(devices):
        """The PCI device pools a compute reports with PCI in placement: one
        pool per device address, tagged with its provider (free devices
        only)."""
        from nova import objects
        return objects.PciDevicePoolList(objects=[
            objects.PciDevicePool(
                vendor_id=d['vendor_id'], product_id=d['product_id'],
                numa_node=None, count=1,
                tags={'dev_type': 'type-PCI', 'address': d['address'],
                      'rp_uuid': d['rp_uuid']})
            for d in devices if d['instance'] is None])

    def image_system_metadata(self, image):
        """The image_* system metadata nova stores for an instance booted
        from `image` (none: no image properties)."""
        from nova import utils
        if image is None:
            return {}
        return utils.get_system_metadata_from_image(
            {'properties': dict(self.images[image]['properties'])})

    def image_meta(self, image):
        from nova import objects
        properties = (dict(self.images[image]['properties'])
                      if image else {})
        return objects.ImageMeta.from_dict({'properties': properties})

    # ---- fakes for I/O (databases, placement, notifications) -------------

    def fake_get_counts(self, context, project_id, user_id=None):
        def count(pairs):
            return {'instances': len(pairs),
                    'cores': sum(f.vcpus for _, f in pairs),
                    'ram': sum(f.memory_mb for _, f in pairs)}
        pairs = self.instances.get(project_id, [])
        counts = {'project': count(pairs)}
        if user_id:
            counts['user'] = count([p for p in pairs if p[0] == user_id])
        return counts

    def fake_get_by_filters(self, context, filters, expected_attrs=None,
                            **kwargs):
        from nova import objects
        return objects.InstanceList(objects=[
            objects.Instance(uuid=str(uuid.uuid4()), vm_state='active',
                             user_id=user_id, project_id=filters[
                                 'project_id'], flavor=flavor)
            for user_id, flavor in self.instances.get(
                filters['project_id'], [])])

    def fake_scatter_gather_cells(self, context, cell_mappings, timeout, fn,
                                  *args, **kwargs):
        # One cell database holds every instance of the simulation.
        return {self.fleet['cells'][0]: fn(context, *args, **kwargs)}

    def fake_quotas_by_project(self, context, project_id):
        limits = dict(self.projects[project_id]['limits'])
        for alias, limit in self.projects[project_id]['gpu_limits'].items():
            limits['pci_device:' + alias] = limit
        limits['project_id'] = project_id
        return limits

    def fake_aggregates_by_metadata(self, context, key=None, value=None):
        from nova import objects
        return objects.AggregateList(objects=[
            agg for agg in self.aggregates
            if key in agg.metadata and
            (value is None or agg.metadata[key] == value)])

    def fake_host_states_by_uuids(self, context, compute_uuids, spec_obj):
        """Host states as nova 31's HostManager._get_host_states builds
        them: new HostState objects for every request, updated from the
        compute node records, services, aggregates and instance info as they
        are now (what concurrent requests consumed in their own host states
        is not in them; what the computes built is), returned by iterating
        a set of (host, node) keys."""
        from nova.scheduler import host_manager
        wanted = set(compute_uuids)
        host_state_map = {}
        seen_nodes = set()
        for i, compute in enumerate(list(self.computes)):
            if compute.uuid not in wanted:
                continue
            key = (compute.host, compute.hypervisor_hostname)
            state = host_state_map.get(key)
            if state is None:
                state = host_manager.HostState(
                    compute.host, compute.hypervisor_hostname,
                    self.fleet['cells'][self.fleet['hosts'][i]['cell']])
                host_state_map[key] = state
            state.update(compute, dict(self.services[i]),
                         self.host_aggregates[i],
                         self.instance_info[compute.host])
            seen_nodes.add(key)
        return (host_state_map[key] for key in seen_nodes)

    def fake_instances_fill_metadata(self, context, instances,
                                     manual_joins=None):
        """The cell database's answer to InstanceList.fill_metadata: every
        instance with its system_metadata rows."""
        return [{'uuid': i['uuid'], 'system_metadata': [
            {'key': k, 'value': v, 'deleted': False}
            for k, v in self.system_metadata.get(i['uuid'], {}).items()]}
            for i in instances]

    # ---- placement: timing shared by both kinds ---------------------------

    @contextlib.contextmanager
    def placement_work(self):
        """Count the wall time of the block as placement's (waiting for
        placement included, as a caller of the service waits)."""
        started = time.perf_counter()
        try:
            with self.placement_lock:
                yield
        finally:
            self.local.placement_seconds = (
                getattr(self.local, 'placement_seconds', 0.0) +
                time.perf_counter() - started)

    def note_candidates(self, alloc_reqs, summaries):
        # Hosts, not providers: with PCI in placement the summaries also
        # hold the hosts' device providers.
        self.local.candidates = sum(
            1 for rp in summaries if rp in self.index_by_uuid)
        self.local.allocation_requests = len(alloc_reqs)

    def checked_claim(self, claim):
        """Wrap a claim: count the allocation requests that do not ask for
        what the instance needs."""
        def wrapper(ctx, client, spec_obj, instance_uuid, alloc_req,
                    allocation_request_version=None):
            expected = {'VCPU': spec_obj.vcpus,
                        'MEMORY_MB': spec_obj.memory_mb,
                        'DISK_GB': spec_obj.root_gb}
            devices = sum(r.count for r in spec_obj.pci_requests.requests)
            roots = [a['resources'] for rp, a in
                     alloc_req['allocations'].items()
                     if rp in self.index_by_uuid]
            claimed_devices = len(alloc_req['allocations']) - len(roots)
            if roots != [expected] or claimed_devices != devices:
                with self.lock:
                    self.claims_mismatched += 1
            return claim(ctx, client, spec_obj, instance_uuid, alloc_req,
                         allocation_request_version)
        return wrapper

    def note_claim(self, ok):
        with self.lock:
            self.claims += 1
            if not ok:
                self.claims_refused += 1

    # ---- fake placement -----------------------------------------------------

    def start_fake_placement(self):
        """Fake placement's books: capacity and usage per provider (hosts
        and their PCI devices), and the allocations per consumer."""
        self.fake_capacity = {}
        self.fake_usage = {}
        self.fake_consumers = {}
        for h in self.fleet['hosts']:
            self.fake_capacity[h['uuid']] = {
                'VCPU': h['vcpus'] * h['cpu_allocation_ratio'],
                'MEMORY_MB': h['memory_mb'] * h['ram_allocation_ratio'],
                'DISK_GB': h['disk_gb'] * h['disk_allocation_ratio']}
            self.fake_usage[h['uuid']] = {
                'VCPU': h['vcpus_used'], 'MEMORY_MB': h['memory_mb_used'],
                'DISK_GB': h['disk_gb_used']}
            for d in self.devices[h['uuid']]:
                self.fake_capacity[d['rp_uuid']] = {d['resource_class']: 1}
                self.fake_usage[d['rp_uuid']] = {
                    d['resource_class']: 0 if d['instance'] is None else 1}

    def fake_fits(self, rp_uuid, resources):
        capacity = self.fake_capacity[rp_uuid]
        usage = self.fake_usage[rp_uuid]
        return all(usage.get(rc, 0) + amount <= capacity.get(rc, 0)
                   for rc, amount in resources.items())

    def fake_allocation_candidates(self, context, resource_request):
        """Fake placement: every host with room for one instance (and free
        devices for its PCI request groups, the first free ones), in the
        aggregates the request is restricted to (member_of), without the
        disabled ones (nova's forbidden COMPUTE_STATUS_DISABLED trait), cut
        to nova's limit in host order. One candidate per host."""
        with self.placement_work():
            root = {}
            device_groups = []
            member_of = []
            forbidden = set()
            for key, group in resource_request._rg_by_id.items():
                member_of.extend(group.aggregates or [])
                forbidden |= set(group.forbidden_traits or ())
                if key is None or not group.use_same_provider:
                    for rc, amount in group.resources.items():
                        root[rc] = root.get(rc, 0) + amount
                else:
                    device_groups.append((key, group.resources))
            agg_hosts = [
                {h for agg in self.aggregates if agg.uuid in any_of
                 for h in agg.hosts}
                for any_of in member_of]
            limit = resource_request._limit
            alloc_reqs, summaries = [], {}
            for h in self.fleet['hosts']:
                if limit is not None and len(alloc_reqs) >= limit:
                    break
                if not self.fake_fits(h['uuid'], root):
                    continue
                if any(h['name'] not in hosts for hosts in agg_hosts):
                    continue
                if 'COMPUTE_STATUS_DISABLED' in forbidden and h['disabled']:
                    continue
                allocations = {h['uuid']: {'resources': dict(root)}}
                mappings = {'': [h['uuid']]}
                free = [d for d in self.devices[h['uuid']]
                        if self.fake_fits(d['rp_uuid'],
                                          {d['resource_class']: 1})]
                for key, resources in device_groups:
                    device = next((d for d in free if self.fake_fits(
                        d['rp_uuid'], resources)), None)
                    if device is None:
                        break
                    free.remove(device)
                    allocations[device['rp_uuid']] = {
                        'resources': dict(resources)}
                    mappings[key] = [device['rp_uuid']]
                else:
                    alloc_reqs.append({'allocations': allocations,
                                       'mappings': mappings})
                    for rp in allocations:
                        summaries[rp] = {
                            'resources': {}, 'traits': [],
                            'parent_provider_uuid': (
                                None if rp == h['uuid'] else h['uuid']),
                            'root_provider_uuid': h['uuid']}
        self.note_candidates(alloc_reqs, summaries)
        return alloc_reqs, summaries, '1.36'

    def fake_placement(self):
        client = mock.Mock()
        client.get_allocation_candidates.side_effect = (
            self.fake_allocation_candidates)
        client.delete_allocation_for_instance.side_effect = (
            self.fake_delete_allocation)
        return client

    def fake_claim_resources(self, ctx, client, spec_obj, instance_uuid,
                             alloc_req, allocation_request_version=None):
        """Fake placement's claim: refused when a provider is full by now."""
        with self.placement_work():
            allocations = alloc_req['allocations']
            ok = all(self.fake_fits(rp, a['resources'])
                     for rp, a in allocations.items())
            if ok:
                for rp, a in allocations.items():
                    usage = self.fake_usage[rp]
                    for rc, amount in a['resources'].items():
                        usage[rc] = usage.get(rc, 0) + amount
                self.fake_consumers[instance_uuid] = allocations
        self.note_claim(ok)
        return ok

    def fake_delete_allocation(self, context, instance_uuid, force=False):
        with self.placement_work():
            for rp, a in self.fake_consumers.pop(instance_uuid, {}).items():
                usage = self.fake_usage[rp]
                for rc, amount in a['resources'].items():
                    usage[rc] -= amount
        return True

    def delete_allocation(self, context, instance_uuid):
        """Delete an instance's allocations, as nova's report client does
        for a deleted server."""
        if self.real_placement:
            self.placement_client.delete_allocation_for_instance(
                context, instance_uuid, force=True)
        else:
            self.fake_delete_allocation(context, instance_uuid, force=True)

    # ---- real placement -----------------------------------------------------

    def start_placement(self):
        """openstack-placement in process: its own SQLite database, its WSGI
        app behind wsgi-intercept, and nova's report client's HTTP verbs
        pointed at it (as nova's functional PlacementFixture does)."""
        from keystoneauth1 import adapter as ka
        from keystoneauth1 import session as ks
        from placement.tests.functional.fixtures import placement as pfx
        from requests import adapters
        import placement as placement_package
        from nova.scheduler.client import report

        self.placement_version = getattr(
            placement_package, '__version__', None)
        try:
            from importlib import metadata
            self.placement_version = metadata.version('openstack-placement')
        except Exception:
            pass
        # wsgi-intercept does not take keystoneauth's TCP keep-alive socket
        # options (nova's fixture does the same).
        self.patches.append(mock.patch(
            'keystoneauth1.session.TCPKeepAliveAdapter.init_poolmanager',
            adapters.HTTPAdapter.init_poolmanager))
        self.patches[-1].start()
        fixture = pfx.PlacementFixture(token='admin', db=True,
                                       use_intercept=True)
        fixture.setUp()
        self.placement_fixture = fixture
        options = {'randomize_allocation_candidates': bool(
            self.settings['randomize_allocation_candidates'])}
        if self.settings.get('max_allocation_candidates') is not None:
            options['max_allocation_candidates'] = (
                self.settings['max_allocation_candidates'])
        if self.settings.get('allocation_candidates_generation_strategy'):
            options['allocation_candidates_generation_strategy'] = (
                self.settings['allocation_candidates_generation_strategy'])
        fixture.conf_fixture.config(group='placement', **options)
        session = ka.Adapter(ks.Session(auth=None), raise_exc=False)
        endpoint = fixture.endpoint
        sim = self

        def verb(name):
            def call(self_, url, *args, **kwargs):
                version = kwargs.pop('version', None)
                kwargs.pop('global_request_id', None)
                headers = {'x-auth-token': 'admin'}
                if version is not None:
                    headers['OpenStack-API-Version'] = (
                        'placement %s' % version)
                data = {}
                if args:
                    data['json'] = args[0]
                elif 'data' in kwargs:
                    data['json'] = kwargs.pop('data')
                with sim.placement_work():
                    response = getattr(session, name)(
                        url, endpoint_override=endpoint, headers=headers,
                        **data)
                if name == 'put' and url.startswith('/allocations/'):
                    sim.note_claim(response.status_code == 204)
                    if response.status_code == 409:
                        try:
                            error = response.json()['errors'][0]
                        except Exception:
                            error = {'code': None, 'detail': response.text}
                        with sim.lock:
                            if error.get('code') == 'placement.concurrent_update':
                                sim.claim_conflicts += 1
                            if len(sim.refusals) < 5:
                                sim.refusals.append(
                                    '%s: %s' % (error.get('code'),
                                                error.get('detail', '')[:300]))
                return response
            return call

        for name in ('get', 'post', 'put', 'delete'):
            self.patches.append(mock.patch.object(
                report.SchedulerReportClient, name, verb(name)))
            self.patches[-1].start()
        self.placement_client = report.SchedulerReportClient(
            adapter=mock.Mock())
        get_candidates = self.placement_client.get_allocation_candidates

        def counted_candidates(context, resources):
            result = get_candidates(context, resources)
            alloc_reqs, summaries, _ = result
            self.note_candidates(alloc_reqs, summaries or {})
            return result
        self.placement_client.get_allocation_candidates = counted_candidates

    def placement_call(self, method, url, body=None, version='1.39'):
        response = getattr(self.placement_client, method)(
            url, *([body] if body is not None else []), version=version)
        if response.status_code >= 400:
            raise SystemExit('placement refused %s %s: %s %s' % (
                method.upper(), url, response.status_code, response.text))
        return response

    def load_placement(self):
        """The fleet as placement sees it: providers, inventories,
        aggregates, traits (written with placement's own object layer, the
        code its handlers call, to spare thousands of HTTP round trips),
        then the allocations of what already runs (one POST /allocations)."""
        from placement import context as placement_context
        from placement.objects import inventory as inventory_obj
        from placement.objects import resource_class as rc_obj
        from placement.objects import resource_provider as rp_obj
        from placement.objects import trait as trait_obj

        fleet = self.fleet
        ctx = placement_context.RequestContext(
            user_id='admin', project_id='admin',
            config=self.placement_fixture.conf_fixture.conf)
        disabled = trait_obj.Trait.get_by_name(ctx, 'COMPUTE_STATUS_DISABLED')
        aggregates = [a['uuid'] for a in fleet['aggregates']]
        existing = {}
        resource_classes = set()
        for h in fleet['hosts']:
            uuid_ = h['uuid']
            provider = rp_obj.ResourceProvider(ctx, uuid=uuid_, name=h['name'])
            provider.create()
            provider.set_inventory([
                inventory_obj.Inventory(
                    resource_provider=provider, resource_class=rc,
                    total=total, reserved=0, min_unit=1, max_unit=total,
                    step_size=1, allocation_ratio=ratio)
                for rc, total, ratio in (
                    ('VCPU', h['vcpus'], h['cpu_allocation_ratio']),
                    ('MEMORY_MB', h['memory_mb'], h['ram_allocation_ratio']),
                    ('DISK_GB', h['disk_gb'], h['disk_allocation_ratio']))])
            provider.set_aggregates([aggregates[a] for a in h['aggregates']])
            if h['disabled']:
                provider.set_traits([disabled])
            # Its PCI devices, as nova's PCI placement translator reports
            # them ([pci] report_in_placement): one child provider per
            # device, named <hypervisor>_<ADDRESS>, one unit of
            # CUSTOM_PCI_<VENDOR>_<PRODUCT>; a device in use is allocated.
            for d in self.devices[uuid_]:
                if d['resource_class'] not in resource_classes:
                    rc_obj.ResourceClass(
                        ctx, name=d['resource_class']).create()
                    resource_classes.add(d['resource_class'])
                device = rp_obj.ResourceProvider(
                    ctx, uuid=d['rp_uuid'],
                    name='%s_%s' % (h['name'], d['address'].upper()),
                    parent_provider_uuid=uuid_)
                device.create()
                device.set_inventory([inventory_obj.Inventory(
                    resource_provider=device,
                    resource_class=d['resource_class'], total=1, reserved=0,
                    min_unit=1, max_unit=1, step_size=1,
                    allocation_ratio=1.0)])
                if d['instance'] is not None:
                    existing[str(uuid.UUID(int=random.getrandbits(128)))] = {
                        'allocations': {d['rp_uuid']: {'resources': {
                            d['resource_class']: 1}}},
                        'project_id': 'existing', 'user_id': 'existing',
                        'consumer_generation': None,
                        'consumer_type': 'INSTANCE'}
            # What already runs, as allocations no larger than max_unit.
            used = {'VCPU': h['vcpus_used'], 'MEMORY_MB': h['memory_mb_used'],
                    'DISK_GB': h['disk_gb_used']}
            units = {'VCPU': h['vcpus'], 'MEMORY_MB': h['memory_mb'],
                     'DISK_GB': h['disk_gb']}
            parts = max(1, max(-(-used[rc] // units[rc]) for rc in used))
            for part in range(parts):
                share = {rc: used[rc] // parts + (
                    used[rc] % parts if part == 0 else 0) for rc in used}
                share = {rc: v for rc, v in share.items() if v > 0}
                if share:
                    existing[str(uuid.UUID(int=random.getrandbits(128)))] = {
                        'allocations': {uuid_: {'resources': share}},
                        'project_id': 'existing', 'user_id': 'existing',
                        'consumer_generation': None,
                        'consumer_type': 'INSTANCE'}
        if existing:
            self.placement_call('post', '/allocations', existing)

    def placement_over_allocated(self):
        """Providers whose usage placement reports above its capacity:
        hosts, and their PCI devices (one unit each)."""
        over = 0
        for h in self.fleet['hosts']:
            capacity = {
                'VCPU': h['vcpus'] * h['cpu_allocation_ratio'],
                'MEMORY_MB': h['memory_mb'] * h['ram_allocation_ratio'],
                'DISK_GB': h['disk_gb'] * h['disk_allocation_ratio']}
            providers = [(h['uuid'], capacity)] + [
                (d['rp_uuid'], {d['resource_class']: 1})
                for d in self.devices[h['uuid']]]
            for rp, capacity in providers:
                if self.real_placement:
                    usages = self.placement_call(
                        'get', '/resource_providers/%s/usages' % rp).json()[
                            'usages']
                else:
                    usages = self.fake_usage[rp]
                if any(usages.get(rc, 0) > capacity[rc] for rc in capacity):
                    over += 1
        return over

    def records_over_allocated(self):
        """Hosts whose compute node record (what the computes built) is
        past a capacity: CPU, RAM, disk at the allocation ratios; or a PCI
        device given to two instances."""
        over = 0
        for compute in self.computes:
            if (compute.vcpus_used > compute.vcpus *
                    compute.cpu_allocation_ratio or
                    compute.memory_mb_used > compute.memory_mb *
                    compute.ram_allocation_ratio or
                    compute.local_gb_used > compute.local_gb *
                    compute.disk_allocation_ratio):
                over += 1
        return over + sum(1 for f in self.build_failures
                          if f['reason'] == 'device taken')

    def build(self, context, flavor, image, instance_uuid, selection):
        """The compute builds the instance on the selected host: its
        resource tracker claims it against the compute node record (a
        device already taken, or no room left, fails the build, as the
        compute's claim would), saves the record, and reports the instance
        to the scheduler (update_instance_info, with its system metadata
        loaded). Records are replaced, never changed in place, so that a
        concurrent request reads each one whole."""
        from oslo_serialization import jsonutils
        from oslo_utils import timeutils
        from nova import objects

        index = self.index_by_uuid[selection.compute_node_uuid]
        allocations = jsonutils.loads(
            selection.allocation_request)['allocations']
        with self.lock:
            compute = self.computes[index]
            devices = self.devices[compute.uuid]
            wanted = [d for d in devices if d['rp_uuid'] in allocations]
            reason = None
            if any(d['instance'] is not None for d in wanted):
                reason = 'device taken'
            elif (compute.vcpus_used + flavor.vcpus > compute.vcpus *
                    compute.cpu_allocation_ratio or
                    compute.memory_mb_used + flavor.memory_mb >
                    compute.memory_mb * compute.ram_allocation_ratio or
                    compute.local_gb_used + flavor.root_gb >
                    compute.local_gb * compute.disk_allocation_ratio):
                reason = 'no room'
            if reason is not None:
                self.build_failures.append(
                    {'host': compute.host, 'instance': instance_uuid,
                     'reason': reason})
                return False
            for d in wanted:
                d['instance'] = instance_uuid
            record = compute.obj_clone()
            record.vcpus_used += flavor.vcpus
            record.memory_mb_used += flavor.memory_mb
            record.free_ram_mb -= flavor.memory_mb
            record.local_gb_used += flavor.root_gb
            record.free_disk_gb -= flavor.root_gb
            stats = dict(record.stats)
            stats['num_instances'] = str(int(stats['num_instances']) + 1)
            record.stats = stats
            record.pci_device_pools = self.device_pools(devices)
            record.updated_at = timeutils.utcnow()
            self.computes[index] = record
            self.system_metadata[instance_uuid] = (
                self.image_system_metadata(image))
            instance = objects.Instance(
                uuid=instance_uuid, host=compute.host,
                node=compute.hypervisor_hostname, image_ref=image or '',
                system_metadata=dict(self.system_metadata[instance_uuid]))
            running = dict(self.instance_info[compute.host])
            running[instance_uuid] = instance
            self.instance_info[compute.host] = running
        return True

    def checked_consume(self, scheduler):
        """Before a host is consumed for an instance, check independently
        that it passes every enabled filter for that instance."""
        consume = scheduler._consume_selected_host

        def wrapper(selected_host, spec_obj, instance_uuid=None):
            # The check and the progress report are the harness's own work:
            # their time is taken out of the scheduling time of the call.
            with self.harness_work():
                self.local.counting = False
                try:
                    passed = scheduler.host_manager.filter_handler.\
                        get_filtered_objects(
                            scheduler.host_manager.enabled_filters,
                            [selected_host], spec_obj, 0)
                finally:
                    self.local.counting = True
                if not passed:
                    failed = [
                        type(f).__name__
                        for f in scheduler.host_manager.enabled_filters
                        if not f.host_passes(selected_host, spec_obj)]
                    with self.lock:
                        self.violations.append(
                            {'host': selected_host.host,
                             'instance': instance_uuid,
                             'filters': failed})
            consume(selected_host, spec_obj, instance_uuid=instance_uuid)
            with self.harness_work():
                with self.lock:
                    self.placed += 1
                    progress(placed=self.placed)
        return wrapper

    @contextlib.contextmanager
    def harness_work(self):
        """Count the wall and CPU time of the block as the harness's own."""
        started = time.perf_counter()
        cpu_started = time.thread_time()
        try:
            yield
        finally:
            local = self.local
            local.harness_seconds = (getattr(local, 'harness_seconds', 0.0) +
                                     time.perf_counter() - started)
            local.harness_cpu_seconds = (
                getattr(local, 'harness_cpu_seconds', 0.0) +
                time.thread_time() - cpu_started)

    # ---- the request stream ----------------------------------------------

    def run(self):
        self.configure()
        from nova.compute import utils as compute_utils
        from nova import context as nova_context
        from nova import exception
        from nova import objects
        from nova.scheduler import utils as scheduler_utils

        random.seed(self.fleet['seed'])
        self.patches = []
        scheduler = self.build_scheduler()
        self.build_fleet()
        self.disabled_hosts = {h['name'] for h in self.fleet['hosts']
                               if h['disabled']}
        self.placement_version = None
        setup_started = time.perf_counter()
        if self.real_placement:
            self.start_placement()
            self.load_placement()
            placement_patches = [
                mock.patch('nova.scheduler.client.report.'
                           'report_client_singleton',
                           return_value=self.placement_client),
                mock.patch.object(
                    scheduler_utils, 'claim_resources',
                    self.checked_claim(scheduler_utils.claim_resources)),
            ]
        else:
            self.start_fake_placement()
            self.placement_client = self.fake_placement()
            placement_patches = [
                mock.patch('nova.scheduler.client.report.'
                           'report_client_singleton',
                           return_value=self.placement_client),
                mock.patch.object(
                    scheduler_utils, 'claim_resources',
                    self.checked_claim(self.fake_claim_resources)),
            ]
        setup_seconds = time.perf_counter() - setup_started
        requests = self.fleet['requests']
        patches = placement_patches + [
            mock.patch.object(objects.InstanceList, 'get_counts',
                              self.fake_get_counts),
            mock.patch.object(objects.InstanceList, 'get_by_filters',
                              self.fake_get_by_filters),
            mock.patch.object(nova_context, 'scatter_gather_cells',
                              self.fake_scatter_gather_cells),
            mock.patch.object(nova_context, 'load_cells'),
            mock.patch.object(objects.Quotas, 'get_all_by_project',
                              self.fake_quotas_by_project),
            mock.patch.object(
                objects.Quotas, 'get_all_by_project_and_user',
                lambda ctx, project_id, user_id: {
                    'project_id': project_id, 'user_id': user_id}),
            mock.patch.object(objects.Quotas, 'get_default_class',
                              lambda ctx: {}),
            mock.patch.object(objects.Quotas, 'get_all_class_by_name',
                              lambda ctx, name: {}),
            mock.patch.object(objects.AggregateList, 'get_by_metadata',
                              self.fake_aggregates_by_metadata),
            mock.patch.object(scheduler.host_manager,
                              'get_host_states_by_uuids',
                              self.fake_host_states_by_uuids),
            mock.patch.object(scheduler, '_consume_selected_host',
                              self.checked_consume(scheduler)),
            mock.patch.object(compute_utils, 'notify_about_scheduler_action'),
            mock.patch('nova.db.main.api.instances_fill_metadata',
                       self.fake_instances_fill_metadata),
        ]
        for patch in patches:
            patch.start()
        self.patches.extend(patches)
        calls = [None] * len(requests)
        stream = iter(enumerate(requests))
        stream_lock = threading.Lock()
        failures = []

        def worker():
            while True:
                with stream_lock:
                    item = next(stream, None)
                if item is None:
                    return
                number, request = item
                try:
                    calls[number] = self.one_request(
                        number, request, scheduler, compute_utils, exception,
                        nova_context, objects)
                except BaseException as error:
                    failures.append(error)
                    raise

        started = time.perf_counter()
        try:
            if self.workers == 1:
                worker()
            else:
                threads = [threading.Thread(target=worker)
                           for _ in range(self.workers)]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join()
                if failures:
                    raise failures[0]
            seconds_total = time.perf_counter() - started
            over_allocated = self.records_over_allocated()
            placement_over = self.placement_over_allocated()
        finally:
            for patch in reversed(self.patches):
                patch.stop()
        return {
            'variant': self.variant,
            'nova_module_path': self.nova_module_path,
            'has_pci_quota': self.has_pci_quota,
            'placement': self.settings['placement'],
            'placement_version': self.placement_version,
            'placement_setup_seconds': setup_seconds,
            'max_placement_results': self.settings['max_placement_results'],
            'workers': self.workers,
            'seconds_total': seconds_total,
            'filter_calls': self.filter_calls,
            'weigher_calls': self.weigher_calls,
            'filter_violations': len(self.violations),
            'violations': self.violations,
            'claims': self.claims,
            'claims_refused': self.claims_refused,
            'claim_conflicts': self.claim_conflicts,
            'claim_refusals': self.refusals,
            'over_allocated_hosts': over_allocated,
            'quota_recheck_refused': self.recheck_refused,
            'build_failures': self.build_failures,
            'image_weights_nonzero': self.image_weights_nonzero,
            'claims_mismatched': self.claims_mismatched,
            'pci_in_placement': True,
            'placement_over_allocated_providers': placement_over,
            'calls': calls,
            'held': {pid: self.devices_held(pid) for pid in self.projects},
        }

    def devices_held(self, project_id):
        """PCI devices per alias held by the project's instances, counted
        from their flavors by nova's own alias parsing."""
        from nova.pci import request as pci_request
        held = {}
        for _, flavor in self.instances.get(project_id, []):
            for request in pci_request.get_pci_requests_from_flavor(
                    flavor).requests:
                held[request.alias_name] = (
                    held.get(request.alias_name, 0) + request.count)
        return held

    def one_request(self, number, request, scheduler, compute_utils,
                    exception, nova_context, objects):
        from nova.conductor import manager as conductor_manager
        from nova.pci import request as pci_request
        import oslo_messaging as messaging

        project_id = request['project']
        user_id = 'user-' + project_id
        flavor = self.flavors[request['flavor']]
        image = request.get('image')
        context = nova_context.RequestContext(user_id, project_id)
        call = {'request': number, 'project': project_id,
                'flavor': flavor.name, 'min_count': request['min_count'],
                'max_count': request['max_count'], 'allowed': 0,
                'quota_error': None, 'scheduled': 0, 'seconds': None,
                'scheduler_seconds': None, 'placement_seconds': None,
                'candidates': None, 'allocation_requests': None,
                'error': None, 'hosts': [], 'recheck_error': None,
                'built': 0}
        # The API's quota check: it counts the instances that exist now (a
        # concurrent request's instances exist only once its conductor has
        # created them; its recheck closes that race). The lock only makes
        # the count read a consistent database.
        with self.lock:
            try:
                count = compute_utils.check_num_instances_quota(
                    context, flavor, request['min_count'],
                    request['max_count'], project_id=project_id,
                    user_id=user_id)
            except exception.TooManyInstances as error:
                call['quota_error'] = str(error)
                return call
        call['allowed'] = count
        instance_uuids = [str(uuid.uuid4()) for _ in range(count)]
        spec = objects.RequestSpec(
            flavor=flavor, image=self.image_meta(image),
            num_instances=count, instance_group=None, scheduler_hints={},
            ignore_hosts=None, force_hosts=None, force_nodes=None,
            requested_destination=None,
            pci_requests=pci_request.get_pci_requests_from_flavor(flavor),
            numa_topology=None, requested_resources=[],
            project_id=project_id, user_id=user_id,
            instance_uuid=instance_uuids[0],
            availability_zone=request.get('availability_zone'),
            is_bfv=False, security_groups=objects.SecurityGroupList(),
            retry=None)
        # As RequestSpec.from_components does for a new server: with
        # [filter_scheduler] pci_in_placement, one request group per
        # requested device.
        spec.generate_request_groups_from_pci_requests()
        local = self.local
        local.harness_seconds = 0.0
        local.harness_cpu_seconds = 0.0
        local.placement_seconds = 0.0
        local.candidates = None
        local.allocation_requests = None
        if self.workers == 1:
            # Start every call with the garbage collector's counts at zero,
            # as pyperf does: otherwise whether a full collection of the
            # whole process (0.2 s with 2,000 hosts) falls into a call
            # depends on what ran before it, not on the call.
            gc.collect()
        started = time.perf_counter()
        cpu_started = time.thread_time()
        try:
            selections = scheduler.select_destinations(
                context, spec_obj=spec, instance_uuids=instance_uuids,
                return_objects=True, return_alternates=True)
        except messaging.ExpectedException as error:
            # select_destinations() hands NoValidHost to the RPC layer as an
            # expected exception.
            cause = error.exc_info[1]
            if not isinstance(cause, exception.NoValidHost):
                raise
            call['error'] = 'NoValidHost: %s' % cause
            return call
        finally:
            # End to end: what the RPC caller waits for, placement included
            # (the harness's own checks taken out).
            seconds = (time.perf_counter() - started -
                       local.harness_seconds)
            call['seconds'] = seconds
            call['placement_seconds'] = local.placement_seconds
            call['scheduler_seconds'] = max(
                0.0, seconds - local.placement_seconds)
            call['candidates'] = local.candidates
            call['allocation_requests'] = local.allocation_requests
            call['harness_seconds'] = local.harness_seconds
            # CPU time of this thread: what the call costs whatever else the
            # machine runs (placement in process included).
            call['cpu_seconds'] = (time.thread_time() - cpu_started -
                                   local.harness_cpu_seconds)
        call['scheduled'] = len(selections)
        call['hosts'] = [[s.service_host for s in alternates]
                         for alternates in selections]
        # The conductor (schedule_and_build_instances): it creates the
        # instance records, then rechecks the quota with nova's own
        # _recheck_quota ([quota] recheck_quota; check_num_instances_quota
        # with 0, 0, which with the PCI quota patch checks the devices too).
        created = [(user_id, flavor) for _ in selections]
        with self.lock:
            self.instances.setdefault(project_id, []).extend(created)
        try:
            with self.lock:
                conductor_manager.ComputeTaskManager._recheck_quota(
                    None, context, flavor, spec, len(selections),
                    project_id=project_id, user_id=user_id)
        except exception.TooManyInstances as error:
            # nova leaves the instances in ERROR with their allocations;
            # here the user deletes them at once: records and allocations
            # go (what a refused request would hold is not counted).
            call['recheck_error'] = str(error)
            with self.lock:
                held = self.instances[project_id]
                for record in created:
                    held.remove(record)
                self.recheck_refused += len(created)
            for instance_uuid in instance_uuids[:len(selections)]:
                self.delete_allocation(context, instance_uuid)
            return call
        built = 0
        for instance_uuid, alternates in zip(instance_uuids, selections):
            if self.build(context, flavor, image, instance_uuid,
                          alternates[0]):
                built += 1
        call['built'] = built
        return call


if __name__ == '__main__':
    if len(sys.argv) != 5:
        raise SystemExit(__doc__)
    main(*sys.argv[1:])
