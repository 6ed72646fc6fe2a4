//! The people, customers and vocabulary of the demo NOC.

use rand::seq::SliceRandom;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// Which kind of contract a customer has; decides titles, services and who escalates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Line {
    /// Carrier circuits, 24x7.
    Carrier,
    /// SaaS platform, New York business hours.
    Saas,
    /// Corporate IT under the default `standard` policy, Berlin business hours.
    Corporate,
}

pub struct Customer {
    pub name: &'static str,
    pub prefix: &'static str,
    pub line: Line,
    /// Open tickets in the demo: carriers are the busiest desk.
    pub open: usize,
    /// Sites, PoP cities or tenants that appear in titles.
    pub places: &'static [&'static str],
}

/// The first twelve customers come from the shipped policies; the last four match none
/// of their customer lists and fall to the default policy.
pub const CUSTOMERS: [Customer; 12] = [
    Customer {
        name: "acme-telecom",
        prefix: "ACME",
        line: Line::Carrier,
        open: 22,
        places: &["LDN", "FRA", "AMS", "PAR", "MAD", "MIL"],
    },
    Customer {
        name: "nordlink",
        prefix: "NORD",
        line: Line::Carrier,
        open: 22,
        places: &["OSL", "STO", "HEL", "CPH", "HAM"],
    },
    Customer {
        name: "pacific-fiber",
        prefix: "PACF",
        line: Line::Carrier,
        open: 22,
        places: &["SEA", "TYO", "SFO", "LAX", "SYD", "HNL"],
    },
    Customer {
        name: "metronet",
        prefix: "METRO",
        line: Line::Carrier,
        open: 22,
        places: &["NYC", "CHI", "BOS", "PHL", "DCA", "ATL"],
    },
    Customer {
        name: "globex",
        prefix: "GLOBEX",
        line: Line::Saas,
        open: 17,
        places: &["EU", "US-East", "APAC", "enterprise"],
    },
    Customer {
        name: "initech",
        prefix: "INIT",
        line: Line::Saas,
        open: 17,
        places: &["TPS", "finance", "EU", "sandbox"],
    },
    Customer {
        name: "umbrella",
        prefix: "UMB",
        line: Line::Saas,
        open: 17,
        places: &["research", "EU", "labs", "US-West"],
    },
    Customer {
        name: "hooli",
        prefix: "HOOLI",
        line: Line::Saas,
        open: 17,
        places: &["nucleus", "EU", "mobile", "US-East"],
    },
    Customer {
        name: "vandelay",
        prefix: "VAND",
        line: Line::Corporate,
        open: 11,
        places: &["Hamburg warehouse", "Bremen port office", "Hannover HQ"],
    },
    Customer {
        name: "wonka-industries",
        prefix: "WONKA",
        line: Line::Corporate,
        open: 11,
        places: &["Munich plant", "Augsburg lab", "Munich HQ"],
    },
    Customer {
        name: "soylent",
        prefix: "SOYL",
        line: Line::Corporate,
        open: 11,
        places: &["Leipzig DC", "Dresden office", "Erfurt depot"],
    },
    Customer {
        name: "cyberdyne",
        prefix: "CYB",
        line: Line::Corporate,
        open: 11,
        places: &["Stuttgart HQ", "Karlsruhe lab", "Ulm office"],
    },
];

pub const AGENTS: [&str; 8] = [
    "alice", "bob", "chen", "dmitri", "esther", "farah", "gustavo", "hana",
];

pub fn pick<T: Copy>(rng: &mut ChaCha8Rng, items: &[T]) -> T {
    *items.choose(rng).expect("non-empty list")
}

/// A title and the service it concerns.
pub fn incident(rng: &mut ChaCha8Rng, c: &Customer) -> (String, String) {
    match c.line {
        Line::Carrier => carrier_incident(rng, c),
        Line::Saas => saas_incident(rng, c),
        Line::Corporate => corporate_incident(rng, c),
    }
}

fn carrier_incident(rng: &mut ChaCha8Rng, c: &Customer) -> (String, String) {
    let a = pick(rng, c.places);
    let others: Vec<&str> = c.places.iter().copied().filter(|p| *p != a).collect();
    let b = pick(rng, &others);
    let circuit = format!("{a}-{b}-{}", rng.gen_range(1..=12));
    let circuit_service = format!("circuit-{}", circuit.to_lowercase());
    let router = format!("{}-core-{}", a.to_lowercase(), rng.gen_range(1..=4));
    let short = c.name.split('-').next().unwrap_or(c.name);
    match rng.gen_range(0..10) {
        0 => (format!("Loss of signal on {circuit}"), circuit_service),
        1 => (
            format!(
                "Packet loss {}% on MPLS VRF {short}-core",
                rng.gen_range(2..=12)
            ),
            format!("vrf-{short}-core"),
        ),
        2 => (
            format!(
                "BGP session down with AS{} on {router}",
                rng.gen_range(64_512..65_000)
            ),
            format!("router-{router}"),
        ),
        3 => (format!("CRC errors rising on {circuit}"), circuit_service),
        4 => (
            format!("High latency {} ms on {circuit}", rng.gen_range(90..400)),
            circuit_service,
        ),
        5 => (
            format!(
                "Optical power low on {circuit} (-{}.{} dBm)",
                rng.gen_range(19..28),
                rng.gen_range(0..10)
            ),
            circuit_service,
        ),
        6 => (
            format!(
                "Interface flapping on {router} xe-0/0/{}",
                rng.gen_range(0..48)
            ),
            format!("router-{router}"),
        ),
        7 => (
            format!("DWDM channel {} down on {circuit}", rng.gen_range(1..=96)),
            circuit_service,
        ),
        8 => (
            format!("Jitter above contract on {circuit}"),
            circuit_service,
        ),
        _ => (
            format!("{circuit} down after power work at {a} PoP"),
            circuit_service,
        ),
    }
}

fn saas_incident(rng: &mut ChaCha8Rng, c: &Customer) -> (String, String) {
    let place = pick(rng, c.places);
    let (title, service) = match rng.gen_range(0..12) {
        0 => (
            format!("Login page returns 502 for {place} tenants"),
            "portal",
        ),
        1 => ("Dashboard exports time out".to_owned(), "exports"),
        2 => ("SSO via Okta fails with invalid audience".to_owned(), "sso"),
        3 => (
            format!("Webhook deliveries delayed by {} min", rng.gen_range(5..90)),
            "webhooks",
        ),
        4 => (
            format!(
                "Search results missing since v4.{} deploy",
                rng.gen_range(8..20)
            ),
            "search",
        ),
        5 => (format!("API returns 429 for the {place} tenant"), "api"),
        6 => ("Email notifications not sent".to_owned(), "notifications"),
        7 => ("Billing page shows wrong currency".to_owned(), "billing"),
        8 => (
            format!(
                "Mobile app crashes on login (iOS {})",
                rng.gen_range(17..=19)
            ),
            "mobile",
        ),
        9 => (
            "Scheduled reports skipped the nightly run".to_owned(),
            "reports",
        ),
        10 => (
            format!("File uploads over {} MB fail", rng.gen_range(2..=20) * 10),
            "storage",
        ),
        _ => (format!("Slow page loads for {place} users"), "portal"),
    };
    (title, service.to_owned())
}

fn corporate_incident(rng: &mut ChaCha8Rng, c: &Customer) -> (String, String) {
    let site = pick(rng, c.places);
    let host = pick(
        rng,
        &[
            "fs01", "erp-db-2", "mail-gw", "intranet", "print01", "vc-02",
        ],
    );
    let (title, service) = match rng.gen_range(0..8) {
        0 => (
            format!(
                "VPN tunnel to {site} drops every {} min",
                rng.gen_range(5..40)
            ),
            "vpn",
        ),
        1 => (
            format!("Wi-Fi outage on floor {} at {site}", rng.gen_range(1..6)),
            "lan",
        ),
        2 => (format!("Printer queue stuck at {site}"), "print"),
        3 => (
            format!("DNS resolution slow for corp.{}.example", c.name),
            "dns",
        ),
        4 => (format!("Backup job failed on {host}"), "backup"),
        5 => (format!("Certificate expired on {host}"), "pki"),
        6 => (
            format!("Firewall change blocks traffic to {host}"),
            "firewall",
        ),
        _ => (format!("SIP trunk one-way audio at {site}"), "voice"),
    };
    (title, service.to_owned())
}

/// Who takes an escalation at each level.
pub fn escalation_target(rng: &mut ChaCha8Rng, line: Line, level: u8) -> &'static str {
    match (level, line) {
        (1, _) => "noc-l2",
        (2, Line::Carrier) => pick(rng, &["fiber-field-team", "vendor-tac"]),
        (2, Line::Saas) => pick(rng, &["platform-oncall", "vendor-tac"]),
        (2, Line::Corporate) => pick(rng, &["field-services", "vendor-tac"]),
        _ => "duty-manager",
    }
}

pub fn detector(rng: &mut ChaCha8Rng, line: Line) -> &'static str {
    match line {
        Line::Carrier => "monitoring",
        Line::Saas => pick(rng, &["portal", "portal", "monitoring"]),
        Line::Corporate => pick(rng, &["servicedesk", "phone"]),
    }
}

pub const UPDATE_MESSAGES: [&str; 8] = [
    "Investigating; next update within the hour",
    "Field team dispatched, ETA 2h",
    "Vendor engaged, awaiting diagnostics",
    "Fault isolated; repair in progress",
    "Workaround in place, monitoring closely",
    "Root cause identified, fix being deployed",
    "Still investigating with the platform team",
    "Replacement part on its way",
];

pub const NOTES: [&str; 6] = [
    "Customer confirms impact on all sites",
    "Alarm correlated with power work at the PoP",
    "No config change in the last 24h",
    "Asked customer for traceroutes",
    "Duplicate alarms suppressed",
    "Shift handover: see timeline",
];

pub const CUSTOMER_PAUSES: [&str; 5] = [
    "site access refused by customer",
    "customer to confirm maintenance window",
    "awaiting logs from customer",
    "customer contact unreachable, waiting for callback",
    "customer testing on their side",
];

pub const CARRIER_UPDATES: [&str; 5] = [
    "Vendor TAC: RMA approved, part ETA 4h",
    "Carrier NOC: fault located 12 km from the PoP",
    "Carrier: splicing crew on site",
    "Vendor TAC: bug confirmed, hotfix in test",
    "Carrier: backup path provisioned",
];

pub const VERIFICATIONS: [&str; 5] = [
    "light levels nominal on both ends",
    "error counters clean for 30 min",
    "synthetic checks green",
    "customer confirmed service",
    "traffic back to baseline",
];

pub const ROOT_CAUSES: [&str; 7] = [
    "fibre cut by third-party road works",
    "faulty SFP replaced",
    "misconfigured load balancer pool",
    "expired certificate renewed",
    "power supply failure at the PoP",
    "software bug fixed in the next release",
    "customer-side firewall change reverted",
];
