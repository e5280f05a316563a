//! Fleet profiles (TOML) and the fleet they generate: plain data, seeded
//! and deterministic, handed to the harness as JSON.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The profile used when none is given.
pub const DEFAULT_PROFILE: &str = include_str!("../../sim/profiles/default.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub seed: u64,
    pub hosts: usize,
    /// The size of every `burst` request.
    pub instances: usize,
    pub rpc_response_timeout: f64,
    pub long_rpc_timeout: f64,
    pub filters: Vec<String>,
    /// Scheduler and placement settings (nova's defaults when absent).
    #[serde(default)]
    pub scheduler: SchedulerSpec,
    pub fleet: FleetSpec,
    pub flavors: Vec<FlavorSpec>,
    pub projects: Vec<ProjectSpec>,
    pub requests: Vec<RequestSpec>,
    /// Images by name, with their Glance properties: the instances already
    /// running draw one each, and requests may boot one (`image`). The
    /// `ImagePropertiesWeigher` weighs hosts by them.
    #[serde(default)]
    pub images: Vec<ImageSpec>,
}

/// An image and its properties (`os_distro`, `hw_machine_type`, …).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImageSpec {
    pub name: String,
    #[serde(default)]
    pub properties: BTreeMap<String, String>,
}

/// The profile's `[scheduler]` table: nova and placement options that
/// change which hosts are considered and chosen, and how many scheduler
/// requests run at once. Every field defaults to nova 31's default.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SchedulerSpec {
    /// `[scheduler] max_placement_results`: the `limit` of the allocation
    /// candidates query (nova's default 1000).
    pub max_placement_results: u64,
    /// placement's `[placement] randomize_allocation_candidates`.
    pub randomize_allocation_candidates: bool,
    /// `[filter_scheduler] host_subset_size` (default 1).
    pub host_subset_size: u64,
    /// `[filter_scheduler] shuffle_best_same_weighed_hosts`.
    pub shuffle_best_same_weighed_hosts: bool,
    /// `[filter_scheduler]` weigher multipliers by option name, e.g.
    /// `image_props_weight_multiplier = 1.0`.
    pub weigher_multipliers: BTreeMap<String, f64>,
    /// Scheduler requests served at once (1: one after another).
    pub workers: usize,
    /// placement's `[placement] max_allocation_candidates` (none: its
    /// default, unlimited).
    pub max_allocation_candidates: Option<i64>,
    /// placement's `[placement] allocation_candidates_generation_strategy`
    /// (`depth-first`, its default, or `breadth-first`).
    pub allocation_candidates_generation_strategy: Option<String>,
    /// `real` (openstack-placement in process) or `fake` (every host with
    /// room, no database): set by `sim --placement`, not by profiles.
    #[serde(skip_deserializing, default = "real")]
    pub placement: String,
}

fn real() -> String {
    "real".into()
}

impl Default for SchedulerSpec {
    fn default() -> SchedulerSpec {
        SchedulerSpec {
            max_placement_results: 1000,
            randomize_allocation_candidates: false,
            host_subset_size: 1,
            shuffle_best_same_weighed_hosts: false,
            weigher_multipliers: BTreeMap::new(),
            workers: 1,
            max_allocation_candidates: None,
            allocation_candidates_generation_strategy: None,
            placement: real(),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetSpec {
    pub cells: usize,
    pub availability_zones: Vec<String>,
    pub aggregates_per_zone: usize,
    pub vcpus: Vec<u64>,
    pub memory_gb: Vec<u64>,
    pub disk_gb: Vec<u64>,
    pub hypervisor_versions: Vec<u64>,
    pub cpu_allocation_ratio: f64,
    pub usage: Range<f64>,
    pub running: Range<u64>,
    pub io_ops: Range<u64>,
    pub disabled_share: f64,
    pub failed_builds_share: f64,
    #[serde(default)]
    pub gpus: Vec<GpuSpec>,
}

/// A uniform distribution between `min` and `max` (both included).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Range<T> {
    pub min: T,
    pub max: T,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GpuSpec {
    pub alias: String,
    pub vendor_id: String,
    pub product_id: String,
    pub share: f64,
    pub devices: u64,
    pub in_use: Range<u64>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlavorSpec {
    pub name: String,
    pub vcpus: u64,
    pub ram_mb: u64,
    pub disk_gb: u64,
    /// `pci_passthrough:alias`, e.g. `a100:2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pci_alias: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectSpec {
    pub id: String,
    /// Legacy quota driver limits: instances, cores, ram.
    #[serde(default)]
    pub limits: BTreeMap<String, i64>,
    /// PCI devices per alias.
    #[serde(default)]
    pub gpu_quota: BTreeMap<String, i64>,
    #[serde(default)]
    pub existing: Vec<Existing>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Existing {
    pub flavor: String,
    pub count: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestSpec {
    pub project: String,
    pub flavor: String,
    /// min_count = max_count = the profile's `instances`.
    #[serde(default)]
    pub burst: bool,
    #[serde(default = "one")]
    pub min_count: u64,
    #[serde(default = "one")]
    pub max_count: u64,
    pub availability_zone: Option<String>,
    /// The image the request boots (one of the profile's `images`).
    pub image: Option<String>,
    #[serde(default = "one")]
    pub repeat: u64,
}

fn one() -> u64 {
    1
}

impl Profile {
    /// Parse and check a profile; `file` names it in errors.
    pub fn parse(text: &str, file: &Path) -> Result<Profile> {
        let profile: Profile = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|span| text[..span.start].lines().count().max(1));
            Error::invalid(file, line, e.message().to_string())
        })?;
        profile.validate(file)?;
        Ok(profile)
    }

    pub fn default_profile() -> Profile {
        Profile::parse(DEFAULT_PROFILE, Path::new("sim/profiles/default.toml"))
            .expect("the embedded default profile is valid")
    }

    fn validate(&self, file: &Path) -> Result<()> {
        let invalid = |message: String| Err(Error::invalid(file, None, message));
        let scheduler = &self.scheduler;
        if scheduler.max_placement_results == 0
            || scheduler.host_subset_size == 0
            || scheduler.workers == 0
        {
            return invalid(
                "scheduler.max_placement_results, host_subset_size and workers must be at least 1"
                    .into(),
            );
        }
        if let Some(name) = scheduler
            .weigher_multipliers
            .keys()
            .find(|name| !name.ends_with("_weight_multiplier"))
        {
            return invalid(format!(
                "scheduler.weigher_multipliers: `{name}` is not a [filter_scheduler] *_weight_multiplier option"
            ));
        }
        if let Some(strategy) = &scheduler.allocation_candidates_generation_strategy {
            if strategy != "depth-first" && strategy != "breadth-first" {
                return invalid(format!(
                    "scheduler.allocation_candidates_generation_strategy: `{strategy}` is not depth-first or breadth-first"
                ));
            }
        }
        let fleet = &self.fleet;
        if fleet.cells == 0 || fleet.availability_zones.is_empty() || fleet.aggregates_per_zone == 0
        {
            return invalid("fleet needs at least one cell, zone and aggregate per zone".into());
        }
        for (name, choices) in [
            ("vcpus", &fleet.vcpus),
            ("memory_gb", &fleet.memory_gb),
            ("disk_gb", &fleet.disk_gb),
            ("hypervisor_versions", &fleet.hypervisor_versions),
        ] {
            if choices.is_empty() {
                return invalid(format!("fleet.{name} needs at least one value"));
            }
        }
        let flavor = |name: &str| self.flavors.iter().any(|f| f.name == name);
        let aliases: Vec<&str> = fleet.gpus.iter().map(|g| g.alias.as_str()).collect();
        for f in &self.flavors {
            for spec in f.pci_alias.iter().flat_map(|a| a.split(',')) {
                let name = spec.split(':').next().unwrap_or("").trim();
                if !aliases.contains(&name) {
                    return invalid(format!(
                        "flavor {} requests PCI alias `{name}`, which no [[fleet.gpus]] defines",
                        f.name
                    ));
                }
            }
        }
        for p in &self.projects {
            if let Some(e) = p.existing.iter().find(|e| !flavor(&e.flavor)) {
                return invalid(format!(
                    "project {}: unknown flavor `{}` in existing",
                    p.id, e.flavor
                ));
            }
        }
        for (i, r) in self.requests.iter().enumerate() {
            if !flavor(&r.flavor) {
                return invalid(format!("request {}: unknown flavor `{}`", i + 1, r.flavor));
            }
            if !self.projects.iter().any(|p| p.id == r.project) {
                return invalid(format!(
                    "request {}: unknown project `{}`",
                    i + 1,
                    r.project
                ));
            }
            if !r.burst && (r.min_count == 0 || r.min_count > r.max_count) {
                return invalid(format!(
                    "request {}: needs 1 <= min_count <= max_count",
                    i + 1
                ));
            }
            if let Some(image) = &r.image {
                if !self.images.iter().any(|i| &i.name == image) {
                    return invalid(format!("request {}: unknown image `{image}`", i + 1));
                }
            }
            if let Some(zone) = &r.availability_zone {
                if !fleet.availability_zones.contains(zone) {
                    return invalid(format!(
                        "request {}: unknown availability zone `{zone}`",
                        i + 1
                    ));
                }
            }
        }
        Ok(())
    }

    /// The PCI device limit of `project` for `alias`, if it has one.
    pub fn gpu_limit(&self, project: &str, alias: &str) -> Option<i64> {
        self.projects
            .iter()
            .find(|p| p.id == project)?
            .gpu_quota
            .get(alias)
            .copied()
            .filter(|limit| *limit >= 0)
    }

    /// Generate the fleet: the same profile always gives the same fleet.
    pub fn generate(&self) -> Fleet {
        let mut rng = SplitMix64(self.seed);
        let spec = &self.fleet;
        let cells = (0..spec.cells).map(|_| rng.uuid()).collect();
        let mut aggregates = Vec::new();
        for zone in &spec.availability_zones {
            for n in 0..spec.aggregates_per_zone {
                aggregates.push(Aggregate {
                    id: aggregates.len() as u64 + 1,
                    uuid: rng.uuid(),
                    name: format!("{zone}-agg{}", n + 1),
                    availability_zone: Some(zone.clone()),
                    metadata: BTreeMap::new(),
                });
            }
        }
        let hosts = (0..self.hosts)
            .map(|i| {
                let usage = rng.between(spec.usage.min, spec.usage.max);
                let vcpus = *rng.pick(&spec.vcpus);
                let memory_mb = *rng.pick(&spec.memory_gb) * 1024;
                let disk_gb = *rng.pick(&spec.disk_gb);
                let mut host = Host {
                    name: format!("cmp{i:05}"),
                    uuid: rng.uuid(),
                    cell: i % spec.cells,
                    aggregates: vec![rng.below(aggregates.len() as u64) as usize],
                    vcpus,
                    vcpus_used: (vcpus as f64 * spec.cpu_allocation_ratio * usage) as u64,
                    memory_mb,
                    memory_mb_used: (memory_mb as f64 * usage) as u64,
                    disk_gb,
                    disk_gb_used: (disk_gb as f64 * usage) as u64,
                    num_instances: rng.range(spec.running),
                    io_ops: rng.range(spec.io_ops),
                    failed_builds: u64::from(rng.chance(spec.failed_builds_share)),
                    disabled: rng.chance(spec.disabled_share),
                    hypervisor_version: *rng.pick(&spec.hypervisor_versions),
                    cpu_allocation_ratio: spec.cpu_allocation_ratio,
                    ram_allocation_ratio: 1.0,
                    disk_allocation_ratio: 1.0,
                    pci: Vec::new(),
                };
                for gpu in &spec.gpus {
                    if rng.chance(gpu.share) {
                        let in_use = rng.range(gpu.in_use).min(gpu.devices);
                        host.pci.push(PciPool {
                            alias: gpu.alias.clone(),
                            devices: gpu.devices,
                            free: gpu.devices - in_use,
                        });
                    }
                }
                host
            })
            .collect();
        let mut requests = Vec::new();
        for r in &self.requests {
            let (min_count, max_count) = if r.burst {
                (self.instances as u64, self.instances as u64)
            } else {
                (r.min_count, r.max_count)
            };
            for _ in 0..r.repeat {
                requests.push(Request {
                    project: r.project.clone(),
                    flavor: r.flavor.clone(),
                    min_count,
                    max_count,
                    availability_zone: r.availability_zone.clone(),
                    image: r.image.clone(),
                });
            }
        }
        Fleet {
            seed: self.seed,
            filters: self.filters.clone(),
            scheduler: self.scheduler.clone(),
            pci_aliases: spec
                .gpus
                .iter()
                .map(|g| PciAlias {
                    name: g.alias.clone(),
                    vendor_id: g.vendor_id.clone(),
                    product_id: g.product_id.clone(),
                })
                .collect(),
            cells,
            aggregates,
            hosts,
            flavors: self.flavors.clone(),
            projects: self
                .projects
                .iter()
                .map(|p| Project {
                    id: p.id.clone(),
                    limits: p.limits.clone(),
                    gpu_limits: p.gpu_quota.clone(),
                    existing: p.existing.clone(),
                })
                .collect(),
            requests,
            images: self.images.clone(),
        }
    }
}

/// What the harness reads: the fleet as nova will see it.
#[derive(Debug, Clone, Serialize)]
pub struct Fleet {
    pub seed: u64,
    pub filters: Vec<String>,
    pub scheduler: SchedulerSpec,
    pub pci_aliases: Vec<PciAlias>,
    pub cells: Vec<String>,
    pub aggregates: Vec<Aggregate>,
    pub hosts: Vec<Host>,
    pub flavors: Vec<FlavorSpec>,
    pub projects: Vec<Project>,
    pub requests: Vec<Request>,
    pub images: Vec<ImageSpec>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PciAlias {
    pub name: String,
    pub vendor_id: String,
    pub product_id: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Aggregate {
    pub id: u64,
    pub uuid: String,
    pub name: String,
    pub availability_zone: Option<String>,
    pub metadata: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Host {
    pub name: String,
    pub uuid: String,
    pub cell: usize,
    pub aggregates: Vec<usize>,
    pub vcpus: u64,
    pub vcpus_used: u64,
    pub memory_mb: u64,
    pub memory_mb_used: u64,
    pub disk_gb: u64,
    pub disk_gb_used: u64,
    pub num_instances: u64,
    pub io_ops: u64,
    pub failed_builds: u64,
    pub disabled: bool,
    pub hypervisor_version: u64,
    pub cpu_allocation_ratio: f64,
    pub ram_allocation_ratio: f64,
    pub disk_allocation_ratio: f64,
    pub pci: Vec<PciPool>,
}

#[derive(Debug, Clone, Serialize)]
pub struct PciPool {
    pub alias: String,
    pub devices: u64,
    pub free: u64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Project {
    pub id: String,
    pub limits: BTreeMap<String, i64>,
    pub gpu_limits: BTreeMap<String, i64>,
    pub existing: Vec<Existing>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Request {
    pub project: String,
    pub flavor: String,
    pub min_count: u64,
    pub max_count: u64,
    pub availability_zone: Option<String>,
    pub image: Option<String>,
}

/// SplitMix64: tiny, fast, and the same numbers on every platform.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    fn between(&mut self, min: f64, max: f64) -> f64 {
        min + (max - min) * self.unit()
    }

    fn range(&mut self, range: Range<u64>) -> u64 {
        range.min + self.below(range.max.saturating_sub(range.min) + 1)
    }

    fn chance(&mut self, share: f64) -> bool {
        self.unit() < share
    }

    fn pick<'a, T>(&mut self, choices: &'a [T]) -> &'a T {
        &choices[self.below(choices.len() as u64) as usize]
    }

    fn uuid(&mut self) -> String {
        let (a, b) = (self.next(), self.next());
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0x0fff,
            0x8000 | ((b >> 48) & 0x3fff),
            b & 0xffff_ffff_ffff
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_fleet_other_seed_other_fleet() {
        let profile = Profile::default_profile();
        let a = serde_json::to_string(&profile.generate()).unwrap();
        let b = serde_json::to_string(&profile.generate()).unwrap();
        assert_eq!(a, b);
        let other = Profile {
            seed: 7,
            ..profile.clone()
        };
        assert_ne!(a, serde_json::to_string(&other.generate()).unwrap());
    }

    #[test]
    fn fleet_follows_the_profile() {
        let profile = Profile {
            hosts: 2000,
            ..Profile::default_profile()
        };
        let fleet = profile.generate();
        assert_eq!(fleet.hosts.len(), 2000);
        let gpu_hosts = fleet.hosts.iter().filter(|h| !h.pci.is_empty()).count();
        // 5 % of 2,000 hosts, give or take the draw.
        assert!((60..=140).contains(&gpu_hosts), "{gpu_hosts} GPU hosts");
        assert!(fleet.hosts.iter().all(|h| h.vcpus_used as f64
            <= h.vcpus as f64 * h.cpu_allocation_ratio
            && h.memory_mb_used <= h.memory_mb));
        let burst = &fleet.requests[0];
        assert_eq!((burst.min_count, burst.max_count), (100, 100));
        assert_eq!(burst.image.as_deref(), Some("ubuntu-24.04"));
        assert_eq!(fleet.images.len(), 2);
        assert_eq!(fleet.requests.len(), 1 + 3 + 4);
    }

    #[test]
    fn shipped_profiles_parse() {
        for (name, text) in [
            ("small", include_str!("../../sim/profiles/small.toml")),
            ("incident", include_str!("../../sim/profiles/incident.toml")),
        ] {
            let profile = Profile::parse(text, Path::new(name)).unwrap();
            assert!(profile.gpu_limit("ml-research", "a100").is_some(), "{name}");
        }
    }

    #[test]
    fn a_bad_profile_names_its_problem() {
        let text = DEFAULT_PROFILE.replace(
            "flavor = \"g1.a100x2\"\nmin_count",
            "flavor = \"nope\"\nmin_count",
        );
        let error = Profile::parse(&text, Path::new("p.toml")).unwrap_err();
        assert!(
            error.to_string().contains("unknown flavor `nope`"),
            "{error}"
        );
        let text = DEFAULT_PROFILE.replace("image = \"windows-2022\"", "image = \"plan9\"");
        let error = Profile::parse(&text, Path::new("p.toml")).unwrap_err();
        assert!(
            error.to_string().contains("unknown image `plan9`"),
            "{error}"
        );
        let text = DEFAULT_PROFILE.replace(
            "workers = 1\n",
            "workers = 1\nallocation_candidates_generation_strategy = \"random\"\n",
        );
        let error = Profile::parse(&text, Path::new("p.toml")).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("`random` is not depth-first or breadth-first"),
            "{error}"
        );
        let error = Profile::parse("seed = \"x\"", Path::new("p.toml")).unwrap_err();
        assert!(error.to_string().starts_with("p.toml:1:"), "{error}");
    }
}
