//! The `algogate` binary: `serve` (the default) and the administration commands.

use std::io::BufRead;
use std::path::PathBuf;
use std::sync::Arc;

use algogate_app::accounts;
use algogate_app::clock::SystemClock;
use algogate_app::keypolicy::{KeyPolicy, Limit, PolicyError, PolicyInput, parse_expiry};
use algogate_app::strategies::{
    Kind, Limits, Mapping, StrategyInfo, StrategySpec, TRADINGVIEW_IPS, Window,
};
use algogate_keys::{FernetSalt, Password, Pepper};
use algogate_server::brucli;
use algogate_server::config::{Config, Overrides};
use algogate_server::startup::{self, Runtime, process_env};
use algogate_store::OrderMode;
use anyhow::{Context, bail};
use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "algogate",
    version,
    about = "A self-hosted, OpenAlgo-compatible trading API gateway"
)]
struct Cli {
    /// TOML configuration file (also ALGOGATE_CONFIG).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Directory for the database and secrets.env (default ./data).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

/// HTTPS settings of `serve` (see README, "HTTPS").
#[derive(Debug, clap::Args)]
struct TlsArgs {
    /// PEM certificate chain: serve HTTPS and WSS (reloaded when the file changes).
    #[arg(long)]
    tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert.
    #[arg(long)]
    tls_key: Option<PathBuf>,
    /// Obtain and renew a certificate for this name over ACME (repeat or comma-separate).
    #[arg(long, value_delimiter = ',')]
    acme_domain: Vec<String>,
    /// Contact e-mail for the ACME account.
    #[arg(long)]
    acme_email: Option<String>,
    /// ACME directory URL (default Let's Encrypt production).
    #[arg(long)]
    acme_directory: Option<String>,
    /// Also listen here for plain HTTP and redirect it to HTTPS (e.g. 0.0.0.0:80).
    #[arg(long)]
    http_redirect_addr: Option<std::net::SocketAddr>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Start the server (the default when no command is given).
    Serve {
        /// Address for the REST API and web UI (default 127.0.0.1:5000).
        #[arg(long)]
        http_addr: Option<std::net::SocketAddr>,
        /// Address for the WebSocket feed (default 127.0.0.1:8765, the SDK's default).
        #[arg(long)]
        ws_addr: Option<std::net::SocketAddr>,
        #[command(flatten)]
        tls: TlsArgs,
    },
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Show or regenerate a user's API key.
    Apikey {
        #[command(subcommand)]
        command: ApikeyCommand,
    },
    /// Strategy webhooks (TradingView, Chartink, Amibroker, …): alerts that carry no API key.
    Strategy {
        #[command(subcommand)]
        command: StrategyCommand,
    },
    /// Import users and API keys from an OpenAlgo SQLite database. This install must use
    /// the same API_KEY_PEPPER as the OpenAlgo install.
    ImportOpenalgo {
        /// Path to OpenAlgo's database (db/openalgo.db).
        #[arg(long)]
        db: PathBuf,
        /// The OpenAlgo install's FERNET_SALT, when it differs from this install's. Without
        /// it, this install's salt and OpenAlgo's legacy static salt are tried.
        #[arg(long)]
        openalgo_fernet_salt: Option<String>,
    },
    /// Print the OpenAPI 3.1 document of the REST API (from the embedded collection and
    /// the default rate limits) on stdout.
    Openapi,
    /// Parse, check and convert Bruno collections, `.bru` or YAML (no database or secrets
    /// needed).
    Bru {
        #[command(subcommand)]
        command: BruCommand,
    },
}

#[derive(Debug, Subcommand)]
enum BruCommand {
    /// Print a `.bru` file as the JSON of Bruno's `bruToJson`. Exits 1 with
    /// `file:line:col: expected ...` when it does not parse.
    Parse {
        /// The `.bru` file.
        file: PathBuf,
        /// The grammar (default: from the path: collection.bru/folder.bru are collection
        /// files, files in environments/ are environments, the rest requests).
        #[arg(long, value_enum)]
        mode: Option<brucli::Mode>,
    },
    /// Parse every `.bru` and YAML file of a collection, print each problem as
    /// file:line:col and a summary; exits non-zero when any file fails.
    Check {
        /// The collection directory.
        dir: PathBuf,
    },
    /// Write the collection in SRC to DEST (a new directory) in Bruno's other format:
    /// OpenCollection YAML or `.bru`. Prints each field the target cannot hold.
    Convert {
        /// The collection directory to read.
        src: PathBuf,
        /// The directory to write (must not exist, or be empty).
        dest: PathBuf,
        /// The format to write.
        #[arg(long, value_enum)]
        to: brucli::Target,
    },
}

#[derive(Debug, Subcommand)]
enum StrategyCommand {
    /// Create a strategy and its key; prints the webhook URL as the last line.
    Create(Box<StrategyArgs>),
    /// List the user's strategies with their webhook URLs.
    List {
        #[arg(long)]
        user: String,
        /// The server's public URL (default: its HTTP address).
        #[arg(long)]
        base_url: Option<String>,
    },
}

#[derive(Debug, clap::Args)]
struct StrategyArgs {
    #[arg(long)]
    user: String,
    /// Letters, digits, spaces, '-' and '_'; stored as <platform>_<name>, as OpenAlgo does.
    #[arg(long)]
    name: String,
    /// tradingview, amibroker, python, metatrader, excel, chartink, others, …
    #[arg(long)]
    platform: String,
    /// LONG (BUY enters, SELL exits), SHORT (SELL enters, BUY exits) or BOTH (position_size).
    #[arg(long, default_value = "LONG")]
    mode: String,
    /// Intraday: entries between --start and --end, exits until --squareoff, and open
    /// positions squared off at --squareoff (HH:MM IST).
    #[arg(long, requires_all = ["start", "end", "squareoff"])]
    intraday: bool,
    #[arg(long, requires = "intraday")]
    start: Option<String>,
    #[arg(long, requires = "intraday")]
    end: Option<String>,
    #[arg(long, requires = "intraday")]
    squareoff: Option<String>,
    /// A symbol mapping EXCH:SYMBOL:QTY:PRODUCT (repeatable; QTY is also the largest order).
    #[arg(long = "map", required = true)]
    maps: Vec<String>,
    /// Queue the strategy's orders in the Action Center for approval.
    #[arg(long)]
    semi_auto: bool,
    #[arg(long)]
    max_orders_per_day: Option<i64>,
    /// The strategy's key stops working then (RFC 3339).
    #[arg(long)]
    expires: Option<String>,
    /// An address or CIDR alerts may come from (repeatable); `tradingview` adds
    /// TradingView's published webhook addresses.
    #[arg(long)]
    allow_ip: Vec<String>,
    /// The server's public URL for the printed webhook (default: its HTTP address).
    #[arg(long)]
    base_url: Option<String>,
}

impl StrategyArgs {
    fn spec(&self) -> anyhow::Result<StrategySpec> {
        let window = if self.intraday {
            let t = |v: &Option<String>| v.clone().unwrap_or_default();
            Some(Window::parse(
                &t(&self.start),
                &t(&self.end),
                &t(&self.squareoff),
            )?)
        } else {
            None
        };
        let mappings = self
            .maps
            .iter()
            .map(|m| m.parse::<Mapping>())
            .collect::<Result<Vec<_>, _>>()?;
        let ips: Vec<&str> = self
            .allow_ip
            .iter()
            .flat_map(|ip| match ip.as_str() {
                "tradingview" => TRADINGVIEW_IPS.to_vec(),
                other => vec![other],
            })
            .collect();
        Ok(StrategySpec {
            name: self.name.clone(),
            platform: self.platform.clone(),
            mode: self.mode.parse()?,
            window,
            mappings,
            limits: Limits {
                semi_auto: self.semi_auto,
                max_orders_per_day: self.max_orders_per_day,
                expires_at: self.expires.as_deref().map(parse_expiry).transpose()?,
                allow_ips: KeyPolicy::parse_ips(ips)?,
            },
        })
    }
}

/// The webhook URL of a strategy for the CLI's output.
fn webhook_url(config: &Config, base: Option<&str>, kind: Kind, secret: &str) -> String {
    let base = match base {
        Some(b) => b.trim_end_matches('/').to_owned(),
        None => match config.tls.acme_domains.first() {
            Some(d) => format!("https://{d}"),
            None => {
                let mut addr = config.http_addr;
                if addr.ip().is_unspecified() {
                    addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
                }
                let scheme = if config.tls.enabled() {
                    "https"
                } else {
                    "http"
                };
                format!("{scheme}://{addr}")
            }
        },
    };
    format!("{base}{}{secret}", kind.path())
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create a user and their API key. The password is prompted for (or read from stdin
    /// with --password-stdin); it is never taken from the command line.
    Create {
        #[arg(long)]
        username: String,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        admin: bool,
        #[arg(long)]
        password_stdin: bool,
    },
}

#[derive(Debug, Subcommand)]
enum ApikeyCommand {
    /// Print the user's API key.
    Show {
        #[arg(long)]
        user: String,
    },
    /// Replace the user's API key; the old one stops working at once.
    Regenerate {
        #[arg(long)]
        user: String,
    },
    /// Create a named key with its own scopes, order mode and limits; prints the key.
    Create(CreateArgs),
    /// Change a named key's scopes, mode or limits (only the flags given; --clear removes
    /// limits); applies to its very next request. Prints the key's new row (no secret).
    Update(UpdateArgs),
    /// List the user's named keys and their policies (no secrets).
    List {
        #[arg(long)]
        user: String,
    },
    /// Revoke a named key; it fails on the next request.
    Revoke {
        #[arg(long)]
        user: String,
        #[arg(long)]
        name: String,
    },
    /// Give a named key a new secret (printed); the old one works for --grace seconds.
    Rotate {
        #[arg(long)]
        user: String,
        #[arg(long)]
        name: String,
        /// Seconds the old secret keeps working (default 0: it stops now).
        #[arg(long, default_value_t = 0)]
        grace: u64,
    },
}

#[derive(Debug, clap::Args)]
struct CreateArgs {
    #[arg(long)]
    user: String,
    #[arg(long)]
    name: String,
    #[command(flatten)]
    policy: PolicyArgs,
}

#[derive(Debug, clap::Args)]
struct UpdateArgs {
    #[arg(long)]
    user: String,
    #[arg(long)]
    name: String,
    #[command(flatten)]
    policy: PolicyArgs,
    /// Limits to remove, comma-separated: symbols, products, max-qty, max-value,
    /// max-orders-per-day, expires, allow-ip (also turns --ip-all-requests off). Applied
    /// before the values given, so `--clear allow-ip --allow-ip CIDR` replaces the list.
    #[arg(long, value_delimiter = ',')]
    clear: Vec<String>,
}

/// The policy flags of `create` and `update` (on update, only the flags given change).
#[derive(Debug, clap::Args)]
struct PolicyArgs {
    /// Comma-separated: data, account, place, modify, cancel, close (default: all).
    #[arg(long)]
    scopes: Option<String>,
    /// auto or semi_auto (default: the user's order mode).
    #[arg(long)]
    mode: Option<String>,
    /// Expiry, RFC 3339 (e.g. 2026-12-31T15:30:00+05:30).
    #[arg(long)]
    expires: Option<String>,
    /// An address or CIDR allowed to change orders (repeatable).
    #[arg(long)]
    allow_ip: Vec<String>,
    /// Apply the IP allowlist to every request, not only order changes.
    #[arg(long)]
    ip_all_requests: bool,
    /// Comma-separated EXCHANGE:SYMBOL (EXCHANGE:* for a whole exchange).
    #[arg(long)]
    symbols: Option<String>,
    /// Comma-separated products the key may trade: MIS, CNC, NRML (default: any).
    #[arg(long)]
    products: Option<String>,
    #[arg(long)]
    max_qty: Option<i64>,
    /// Maximum order value (quantity × price; the LTP for MARKET orders), in rupees.
    #[arg(long)]
    max_value: Option<f64>,
    #[arg(long)]
    max_orders_per_day: Option<i64>,
}

impl PolicyArgs {
    /// `base` with the flags' changes and the mode asked for; bad values are errors naming
    /// the flag.
    fn apply(
        &self,
        base: KeyPolicy,
        clear: &[String],
    ) -> anyhow::Result<(KeyPolicy, Option<OrderMode>)> {
        let mode = self
            .mode
            .as_deref()
            .map(|m| {
                m.parse::<OrderMode>()
                    .map_err(|()| anyhow::anyhow!("--mode: expected auto or semi_auto"))
            })
            .transpose()?;
        let input = PolicyInput {
            scopes: self.scopes.clone(),
            expires: self.expires.clone(),
            allow_ips: self.allow_ip.clone(),
            ip_all_requests: self.ip_all_requests.then_some(true),
            symbols: self.symbols.clone(),
            products: self.products.clone(),
            max_qty: self.max_qty,
            max_value: self.max_value,
            max_orders_per_day: self.max_orders_per_day,
            clear: clear
                .iter()
                .map(|c| c.parse::<Limit>().map_err(|e| anyhow::anyhow!("--{e}")))
                .collect::<anyhow::Result<_>>()?,
        };
        let policy = input.apply(base).map_err(|e| match e {
            PolicyError::Scopes(e) => anyhow::anyhow!("--scopes: {e}"),
            e => e.into(),
        })?;
        Ok((policy, mode))
    }
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    if let Some(Command::Bru { command }) = &cli.command {
        let (mut out, mut err) = (std::io::stdout().lock(), std::io::stderr().lock());
        let code = match command {
            BruCommand::Parse { file, mode } => brucli::run_parse(file, *mode, &mut out, &mut err),
            BruCommand::Check { dir } => brucli::run_check(dir, &mut out, &mut err),
            BruCommand::Convert { src, dest, to } => {
                brucli::run_convert(src, dest, (*to).into(), &mut out, &mut err)
            }
        };
        return std::process::ExitCode::from(code);
    }
    if let Some(Command::Openapi) = &cli.command {
        let snap =
            algogate_server::playground::build(&algogate_server::playground::embedded_files());
        let doc = algogate_server::openapi::document(&snap, &Default::default());
        println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        return std::process::ExitCode::SUCCESS;
    }
    let mut overrides = Overrides {
        config_file: cli.config.clone(),
        data_dir: cli.data_dir.clone(),
        ..Default::default()
    };
    if let Some(Command::Serve {
        http_addr,
        ws_addr,
        tls,
    }) = &cli.command
    {
        overrides.http_addr = *http_addr;
        overrides.ws_addr = *ws_addr;
        overrides.tls_cert = tls.tls_cert.clone();
        overrides.tls_key = tls.tls_key.clone();
        overrides.acme_domains = tls.acme_domain.clone();
        overrides.acme_email = tls.acme_email.clone();
        overrides.acme_directory = tls.acme_directory.clone();
        overrides.http_redirect_addr = tls.http_redirect_addr;
    }
    let config = match Config::load(&overrides, &process_env) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    init_tracing(&config.log);
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli.command, config)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn init_tracing(directives: &str) {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::util::SubscriberInitExt;
    use tracing_subscriber::{Layer, fmt};
    tracing_subscriber::registry()
        .with(
            fmt::layer()
                .with_writer(std::io::stderr)
                // Colour codes only for a terminal, not in log files.
                .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
                .with_filter(algogate_server::logging::filter(directives)),
        )
        .init();
}

async fn run(command: Option<Command>, config: Config) -> anyhow::Result<()> {
    match command {
        None | Some(Command::Serve { .. }) => startup::serve(config).await,
        // Handled in `main` before any configuration is loaded.
        Some(Command::Bru { .. } | Command::Openapi) => {
            bail!("`bru` and `openapi` are dispatched before start-up")
        }
        Some(Command::User {
            command:
                UserCommand::Create {
                    username,
                    email,
                    admin,
                    password_stdin,
                },
        }) => {
            let rt = open(config).await?;
            let password = read_password(password_stdin)?;
            create_user(&rt, &username, email.as_deref(), admin, password).await
        }
        Some(Command::Apikey { command }) => {
            let rt = open(config).await?;
            match command {
                ApikeyCommand::Show { user } => {
                    let u = find_user(&rt, &user).await?;
                    let row = rt.store.key_for_user(u.user_id()).await?;
                    let key = row
                        .as_ref()
                        .and_then(|r| rt.keys.reveal(r))
                        .with_context(|| format!("user {user:?} has no readable API key; run `algogate apikey regenerate --user {user}`"))?;
                    println!("{}", key.expose());
                    Ok(())
                }
                ApikeyCommand::Regenerate { user } => {
                    let u = find_user(&rt, &user).await?;
                    let (key, _) = rt.keys.regenerate(u.user_id()).await?;
                    rt.store.bump_key_generation().await?;
                    println!("{}", key.expose());
                    eprintln!("The previous key of {user} no longer works.");
                    Ok(())
                }
                ApikeyCommand::Create(args) => {
                    let (policy, mode) = args.policy.apply(KeyPolicy::default(), &[])?;
                    let u = find_user(&rt, &args.user).await?;
                    let (key, _) = rt
                        .keys
                        .create_named(u.user_id(), &args.name, policy, mode)
                        .await?;
                    rt.store.bump_key_generation().await?;
                    eprintln!("Created key {:?} for {}.", args.name, args.user);
                    println!("{}", key.expose());
                    Ok(())
                }
                ApikeyCommand::Update(args) => {
                    let u = find_user(&rt, &args.user).await?;
                    let base = rt.keys.named_policy(u.user_id(), &args.name).await?;
                    let (policy, mode) = args.policy.apply(base, &args.clear)?;
                    rt.keys
                        .update_named(u.user_id(), &args.name, policy, mode)
                        .await?;
                    rt.store.bump_key_generation().await?;
                    let keys = rt.keys.list_named(u.user_id()).await?;
                    let mine: Vec<_> = keys.into_iter().filter(|k| k.name == args.name).collect();
                    print!("{}", key_table(&mine));
                    Ok(())
                }
                ApikeyCommand::List { user } => {
                    let u = find_user(&rt, &user).await?;
                    let keys = rt.keys.list_named(u.user_id()).await?;
                    print!("{}", key_table(&keys));
                    Ok(())
                }
                ApikeyCommand::Revoke { user, name } => {
                    let u = find_user(&rt, &user).await?;
                    rt.keys.revoke_named(u.user_id(), &name).await?;
                    rt.store.bump_key_generation().await?;
                    println!("Revoked key {name:?} of {user}.");
                    Ok(())
                }
                ApikeyCommand::Rotate { user, name, grace } => {
                    let u = find_user(&rt, &user).await?;
                    let key = rt
                        .keys
                        .rotate_named(u.user_id(), &name, std::time::Duration::from_secs(grace))
                        .await?;
                    rt.store.bump_key_generation().await?;
                    if grace == 0 {
                        eprintln!("The previous secret of {name:?} no longer works.");
                    } else {
                        eprintln!(
                            "The previous secret of {name:?} works for {grace} more seconds."
                        );
                    }
                    println!("{}", key.expose());
                    Ok(())
                }
            }
        }
        Some(Command::Strategy { command }) => {
            let rt = open(config).await?;
            let strategies =
                algogate_server::state::strategies_service(&rt.store, &rt.keys, &rt.clock);
            match command {
                StrategyCommand::Create(args) => {
                    let spec = args.spec()?;
                    let u = find_user(&rt, &args.user).await?;
                    let (id, secret) = strategies.create(u.user_id(), &spec).await?;
                    rt.store.bump_key_generation().await?;
                    let info = strategies.get(u.user_id(), id).await?;
                    eprintln!(
                        "Created strategy {:?} (id {id}) for {}; it trades through key {:?}.",
                        info.name,
                        args.user,
                        info.key_name.as_deref().unwrap_or("-")
                    );
                    if args.base_url.is_none() {
                        eprintln!(
                            "TradingView needs a public address: pass --base-url https://your.host"
                        );
                    }
                    let kind = Kind::of_platform(&info.platform);
                    println!(
                        "{}",
                        webhook_url(&rt.config, args.base_url.as_deref(), kind, secret.expose())
                    );
                    Ok(())
                }
                StrategyCommand::List { user, base_url } => {
                    let u = find_user(&rt, &user).await?;
                    let list = strategies.list(u.user_id()).await?;
                    print!("{}", strategy_table(&rt.config, base_url.as_deref(), &list));
                    Ok(())
                }
            }
        }
        Some(Command::ImportOpenalgo {
            db,
            openalgo_fernet_salt,
        }) => {
            let salt = openalgo_fernet_salt
                .as_deref()
                .map(FernetSalt::from_hex)
                .transpose()
                .context("--openalgo-fernet-salt")?;
            if !db.exists() {
                bail!("{} does not exist", db.display());
            }
            let rt = open(config).await?;
            let pepper = current_pepper(&rt.config)?;
            let report = algogate_app::import::import(
                &rt.store,
                &rt.keys,
                &pepper,
                salt.as_ref(),
                &db.display().to_string(),
            )
            .await?;
            let failed = report
                .iter()
                .filter(|r| matches!(r.outcome, algogate_app::import::Outcome::Failed(_)))
                .count();
            for r in &report {
                println!("{r}");
            }
            println!("{} rows, {} failed", report.len(), failed);
            if failed > 0 {
                bail!("{failed} rows could not be imported");
            }
            Ok(())
        }
    }
}

async fn open(config: Config) -> anyhow::Result<Runtime> {
    let rt = startup::bootstrap(config, &process_env, Arc::new(SystemClock)).await?;
    // On stderr: stdout is the command's answer (`apikey show` prints the key alone).
    if let Some(note) = rt.generated_secrets_note() {
        eprintln!("{note}");
    }
    Ok(rt)
}

/// The pepper in effect, read the same way `bootstrap` read it. Called after `open`, so
/// the database is bound to it and nothing is generated here.
fn current_pepper(config: &Config) -> anyhow::Result<Pepper> {
    let s = algogate_server::secrets::load(&config.secrets_file(), &process_env, false)?;
    Ok(s.pepper)
}

/// `strategy list`: one block per strategy.
fn strategy_table(config: &Config, base: Option<&str>, list: &[StrategyInfo]) -> String {
    let mut out = String::new();
    for s in list {
        let window = s.window.map_or_else(
            || "positional".to_owned(),
            |w| format!("intraday {}-{}, square-off {}", w.start, w.end, w.squareoff),
        );
        let maps: Vec<String> = s
            .mappings
            .iter()
            .map(|m| {
                format!(
                    "{}:{}:{}:{}",
                    m.exchange, m.symbol, m.quantity, m.product_type
                )
            })
            .collect();
        let limits = match &s.limits {
            None => "key revoked: alerts answer 401".to_owned(),
            Some(l) => {
                let mut v = vec![if l.semi_auto { "semi_auto" } else { "auto" }.to_owned()];
                if let Some(n) = l.max_orders_per_day {
                    v.push(format!("max {n} orders/day"));
                }
                if let Some(t) = l.expires_at {
                    v.push(format!("expires {}", t.to_rfc3339()));
                }
                if let Some(ips) = &l.allow_ips {
                    let ips: Vec<String> = ips.iter().map(ToString::to_string).collect();
                    v.push(format!("from {}", ips.join(",")));
                }
                v.join(", ")
            }
        };
        out.push_str(&format!(
            "{} {} [{}] {} {} {}\n  maps: {}\n  limits: {}\n  last alert: {}\n  url: {}\n",
            s.id,
            s.name,
            s.platform,
            s.mode.as_str(),
            if s.active { "active" } else { "inactive" },
            window,
            maps.join(" "),
            limits,
            match (&s.last_alert_at, &s.last_alert_outcome) {
                (Some(at), Some(o)) => format!("{at} ({o})"),
                _ => "never".to_owned(),
            },
            s.webhook.as_ref().map_or_else(
                || "(unreadable)".to_owned(),
                |w| webhook_url(config, base, s.kind, w.expose())
            ),
        ));
    }
    if list.is_empty() {
        out.push_str("(no strategies)\n");
    }
    out
}

/// `apikey list`: one row per key, columns padded to their widest cell.
fn key_table(keys: &[algogate_app::keyservice::NamedKeyInfo]) -> String {
    let head = ["NAME", "SCOPES", "MODE", "LIMITS", "EXPIRES", "LAST USED"];
    let rows: Vec<[String; 6]> = keys
        .iter()
        .map(|k| {
            [
                k.name.clone(),
                k.scopes.clone(),
                k.mode.to_owned(),
                if k.unreadable {
                    "(unreadable policy: refused)".to_owned()
                } else if k.policy.is_empty() {
                    "-".to_owned()
                } else {
                    k.policy.clone()
                },
                k.expires_at.clone().unwrap_or_else(|| "never".into()),
                match (&k.last_used_at, &k.last_ip) {
                    (Some(at), Some(ip)) => format!("{at} from {ip}"),
                    (Some(at), None) => at.clone(),
                    _ => "never".into(),
                },
            ]
        })
        .collect();
    let mut width = head.map(str::len);
    for r in &rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.len());
        }
    }
    let line = |cells: [&str; 6]| {
        let mut out = String::new();
        for (i, (c, w)) in cells.iter().zip(width).enumerate() {
            if i == 5 {
                out.push_str(c);
            } else {
                out.push_str(&format!("{c:<w$}  "));
            }
        }
        out.trim_end().to_owned() + "\n"
    };
    let mut out = line(head);
    for r in &rows {
        out.push_str(&line([&r[0], &r[1], &r[2], &r[3], &r[4], &r[5]]));
    }
    if rows.is_empty() {
        out.push_str("(no named keys)\n");
    }
    out
}

async fn find_user(rt: &Runtime, name: &str) -> anyhow::Result<algogate_store::UserRow> {
    rt.store
        .user_by_username(name)
        .await?
        .with_context(|| format!("no user named {name:?}"))
}

fn read_password(from_stdin: bool) -> anyhow::Result<Password> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        return Ok(Password::new(line.trim_end_matches(['\n', '\r'])));
    }
    let first = rpassword::prompt_password("Password: ")?;
    let second = rpassword::prompt_password("Repeat password: ")?;
    if first != second {
        bail!("the passwords do not match");
    }
    Ok(Password::new(first))
}

async fn create_user(
    rt: &Runtime,
    username: &str,
    email: Option<&str>,
    admin: bool,
    password: Password,
) -> anyhow::Result<()> {
    let account = accounts::NewAccount {
        username,
        email,
        is_admin: admin,
        password,
    };
    accounts::create_user(&rt.store, &rt.keys, account).await?;
    println!(
        "Created {} {username:?} with an API key. Show it with: algogate apikey show --user {username}",
        if admin { "admin" } else { "user" }
    );
    Ok(())
}
