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
becomes nova's own ComputeNode, Aggregate and HostState objects; every
request goes through the real quota check (compute.utils.
check_num_instances_quota) and the real SchedulerManager.select_destinations
with the configured filters and weighers.

Placement is real by default (the fleet's `scheduler.placement` is
`real`): openstack-placement of the series runs in process with its own
in-memory SQLite database behind wsgi-intercept, as in nova's functional
tests (nova/tests/functional/fixtures.py, PlacementFixture). Every host is a
resource provider with VCPU, MEMORY_MB and DISK_GB inventories, its
aggregates, COMPUTE_STATUS_DISABLED when disabled, and allocations for the
usage it starts with; nova's own report client asks it for allocation
candidates (with nova's `limit`, [scheduler] max_placement_results) and
claims every instance with a real PUT /allocations, which placement can
refuse. PCI devices stay out of placement ([pci] report_in_placement is
off by default): PciPassthroughFilter and the host states account for them.
With `fake` placement, candidates are every host with room (cut to the
same limit, in host order) and a claim is a check against the host state:
no database, no HTTP.

Only the rest of the I/O is faked: the cell and API databases (instances,
quota limits, aggregates, compute nodes) and notifications. Whether a
compute service is up is answered by nova's own servicegroup DB driver,
from a heartbeat taken when the fleet is built.

With `scheduler.workers` = N > 1, N threads take requests from one shared
stream and run them through the one SchedulerManager at once, as nova's
scheduler service serves concurrent RPC calls on one HostManager (its host
states are shared and consumed under their own lock); they share the one
placement, whose requests are served one at a time. Then the order in
which requests meet the hosts depends on thread timing: placements are not
deterministic.

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
        # (user_id, flavor) pairs.
        self.instances = {}

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
                weigher._weigh_object)
        return scheduler

    def counted_filter(self, host_passes):
        def wrapper(host_state, spec_obj):
            if getattr(self.local, 'counting', True):
                self.filter_calls += 1
            return host_passes(host_state, spec_obj)
        return wrapper

    def counted_weigher(self, weigh_object):
        def wrapper(host_state, weight_properties):
            if getattr(self.local, 'counting', True):
                self.weigher_calls += 1
            return weigh_object(host_state, weight_properties)
        return wrapper

    # ---- the fleet as nova objects ----------------------------------------

    def build_fleet(self):
        from nova import objects
        from nova.scheduler import host_manager
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
        aliases = {a['name']: a for a in fleet['pci_aliases']}
        # Every compute service has just reported: ComputeFilter asks nova's
        # own servicegroup DB driver, which compares this with the clock.
        heartbeat = timeutils.utcnow()
        self.hosts = []
        self.hosts_by_uuid = {}
        for i, h in enumerate(fleet['hosts']):
            aggregates = [self.aggregates[a] for a in h['aggregates']]
            for agg in aggregates:
                agg.hosts.append(h['name'])
            pools = objects.PciDevicePoolList(objects=[
                objects.PciDevicePool(
                    vendor_id=aliases[p['alias']]['vendor_id'],
                    product_id=aliases[p['alias']]['product_id'],
                    numa_node=None, tags={'dev_type': 'type-PCI'},
                    count=p['free'])
                for p in h['pci']])
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
                metrics='[]', numa_topology=None, pci_device_pools=pools,
                cpu_allocation_ratio=h['cpu_allocation_ratio'],
                ram_allocation_ratio=h['ram_allocation_ratio'],
                disk_allocation_ratio=h['disk_allocation_ratio'],
                updated_at=None)
            state = host_manager.HostState(
                h['name'], h['name'], fleet['cells'][h['cell']])
            state.update(
                compute=compute,
                service={'id': i + 1, 'host': h['name'],
                         'binary': 'nova-compute',
                         'disabled': h['disabled'], 'disabled_reason': None,
                         'forced_down': False, 'created_at': heartbeat,
                         'last_seen_up': heartbeat},
                aggregates=aggregates, inst_dict={})
            self.hosts.append(state)
            self.hosts_by_uuid[state.uuid] = state
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
        wanted = set(compute_uuids)
        return iter([h for h in self.hosts if h.uuid in wanted])

    @staticmethod
    def fits(host, resources):
        free_vcpus = (host.vcpus_total * host.cpu_allocation_ratio -
                      host.vcpus_used)
        free_ram = (host.total_usable_ram_mb * host.ram_allocation_ratio -
                    (host.total_usable_ram_mb - host.free_ram_mb))
        return (free_vcpus >= resources.get('VCPU', 0) and
                free_ram >= resources.get('MEMORY_MB', 0) and
                host.free_disk_mb >= resources.get('DISK_GB', 0) * 1024)

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
        self.local.candidates = len(summaries)

    def note_claim(self, ok):
        with self.lock:
            self.claims += 1
            if not ok:
                self.claims_refused += 1

    # ---- fake placement -----------------------------------------------------

    def fake_allocation_candidates(self, context, resource_request):
        """Fake placement: every host with room for one instance, in the
        aggregates the request is restricted to (member_of), without the
        disabled ones (nova's forbidden COMPUTE_STATUS_DISABLED trait), cut
        to nova's limit in host order."""
        with self.placement_work():
            resources = resource_request.merged_resources()
            member_of = []
            forbidden = set()
            for group in resource_request._rg_by_id.values():
                member_of.extend(group.aggregates or [])
                forbidden |= set(group.forbidden_traits or ())
            agg_hosts = [
                {h for agg in self.aggregates if agg.uuid in any_of
                 for h in agg.hosts}
                for any_of in member_of]
            limit = resource_request._limit
            alloc_reqs, summaries = [], {}
            for host in self.hosts:
                if limit is not None and len(alloc_reqs) >= limit:
                    break
                if not self.fits(host, resources):
                    continue
                if any(host.host not in hosts for hosts in agg_hosts):
                    continue
                if ('COMPUTE_STATUS_DISABLED' in forbidden and
                        host.host in self.disabled_hosts):
                    continue
                alloc_reqs.append({
                    'allocations': {host.uuid: {'resources': dict(resources)}},
                    'mappings': {'': [host.uuid]}})
                summaries[host.uuid] = {
                    'resources': {rc: {'capacity': 0, 'used': 0}
                                  for rc in resources},
                    'traits': [], 'parent_provider_uuid': None,
                    'root_provider_uuid': host.uuid}
        self.note_candidates(alloc_reqs, summaries)
        return alloc_reqs, summaries, '1.36'

    def fake_placement(self):
        client = mock.Mock()
        client.get_allocation_candidates.side_effect = (
            self.fake_allocation_candidates)
        return client

    def fake_claim_resources(self, ctx, client, spec_obj, instance_uuid,
                             alloc_req, allocation_request_version=None):
        """Fake placement's claim: refused when the host is full by now."""
        with self.placement_work():
            (rp_uuid, allocation), = alloc_req['allocations'].items()
            ok = self.fits(self.hosts_by_uuid[rp_uuid],
                           allocation['resources'])
        self.note_claim(ok)
        return ok

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
        fixture.conf_fixture.config(
            randomize_allocation_candidates=bool(
                self.settings['randomize_allocation_candidates']),
            group='placement')
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
        from placement.objects import resource_provider as rp_obj
        from placement.objects import trait as trait_obj

        fleet = self.fleet
        ctx = placement_context.RequestContext(
            user_id='admin', project_id='admin',
            config=self.placement_fixture.conf_fixture.conf)
        disabled = trait_obj.Trait.get_by_name(ctx, 'COMPUTE_STATUS_DISABLED')
        aggregates = [a['uuid'] for a in fleet['aggregates']]
        existing = {}
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
        """Providers whose usage placement reports above its capacity."""
        over = 0
        for h in self.fleet['hosts']:
            usages = self.placement_call(
                'get', '/resource_providers/%s/usages' % h['uuid']).json()[
                    'usages']
            capacity = {
                'VCPU': h['vcpus'] * h['cpu_allocation_ratio'],
                'MEMORY_MB': h['memory_mb'] * h['ram_allocation_ratio'],
                'DISK_GB': h['disk_gb'] * h['disk_allocation_ratio']}
            if any(usages.get(rc, 0) > capacity[rc] for rc in capacity):
                over += 1
        return over

    def host_states_over_allocated(self):
        """Hosts whose state (as the scheduler consumed them) is past their
        capacity: CPU, RAM, disk at the allocation ratios, or PCI pools."""
        over = 0
        for host in self.hosts:
            free_vcpus = (host.vcpus_total * host.cpu_allocation_ratio -
                          host.vcpus_used)
            free_ram = (host.total_usable_ram_mb * host.ram_allocation_ratio -
                        (host.total_usable_ram_mb - host.free_ram_mb))
            pools = host.pci_stats.pools if host.pci_stats else []
            if (free_vcpus < 0 or free_ram < 0 or host.free_disk_mb < 0 or
                    any(pool['count'] < 0 for pool in pools)):
                over += 1
        return over

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
            ]
        else:
            placement_patches = [
                mock.patch('nova.scheduler.client.report.'
                           'report_client_singleton',
                           return_value=self.fake_placement()),
                mock.patch.object(scheduler_utils, 'claim_resources',
                                  self.fake_claim_resources),
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
            over_allocated = self.host_states_over_allocated()
            placement_over = (self.placement_over_allocated()
                              if self.real_placement else 0)
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
        from nova.pci import request as pci_request
        import oslo_messaging as messaging

        project_id = request['project']
        user_id = 'user-' + project_id
        flavor = self.flavors[request['flavor']]
        context = nova_context.RequestContext(user_id, project_id)
        call = {'request': number, 'project': project_id,
                'flavor': flavor.name, 'min_count': request['min_count'],
                'max_count': request['max_count'], 'allowed': 0,
                'quota_error': None, 'scheduled': 0, 'seconds': None,
                'scheduler_seconds': None, 'placement_seconds': None,
                'candidates': None, 'error': None, 'hosts': []}
        # The quota check and the recording of the instances are the API's
        # and the conductor's: one request at a time passes them (in nova
        # the database serialises them; the conductor's recheck closes the
        # race).
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
            flavor=flavor, image=objects.ImageMeta(
                properties=objects.ImageMetaProps()),
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
        local = self.local
        local.harness_seconds = 0.0
        local.harness_cpu_seconds = 0.0
        local.placement_seconds = 0.0
        local.candidates = None
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
            call['harness_seconds'] = local.harness_seconds
            # CPU time of this thread: what the call costs whatever else the
            # machine runs (placement in process included).
            call['cpu_seconds'] = (time.thread_time() - cpu_started -
                                   local.harness_cpu_seconds)
        call['scheduled'] = len(selections)
        call['hosts'] = [[s.service_host for s in alternates]
                         for alternates in selections]
        with self.lock:
            self.instances.setdefault(project_id, []).extend(
                [(user_id, flavor)] * len(selections))
        return call


if __name__ == '__main__':
    if len(sys.argv) != 5:
        raise SystemExit(__doc__)
    main(*sys.argv[1:])
