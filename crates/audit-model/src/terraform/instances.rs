//! Module instances and resource instances: folders become modules, local module calls
//! (`source = "./modules/db"`) instantiate the called folder with the inputs evaluated in
//! the caller, and `count`/`for_each` expand a resource into its instances.

use std::collections::{BTreeMap, BTreeSet};

use foldhash::{HashMap, HashMapExt};

use super::lower::Block;
use super::value::Value;
use super::{Evaluator, Module, Resource, TerraformFile};

/// Module calls nested deeper than this are not followed (a module that calls itself).
const MAX_CALL_DEPTH: usize = 8;
/// Instances of one folder evaluated at most: calls fanning out (a module called from
/// many places, each calling others) stop there, so the total stays linear in folders.
const MAX_INSTANCES_PER_FOLDER: usize = 256;
/// A resource with more instances than this is evaluated once, its index unknown.
const MAX_RESOURCE_INSTANCES: usize = 32;

/// Meta-arguments of a `module` block: not inputs of the called module.
const MODULE_META: &[&str] = &[
    "source",
    "version",
    "count",
    "for_each",
    "providers",
    "depends_on",
];

/// Evaluates `files` into module instances: each folder not called by another as a
/// root module (its variables from tfvars and defaults), and each local module call
/// as an instance of the called folder. Folders only reachable through a cycle of calls
/// are evaluated on their own. In folder order, callers before the modules they call.
/// Each instance is handed to `visit` and can be dropped there: only the chain of
/// callers' inputs is held, not every instance. A module that calls none is handed over
/// before it is built, so the build can run on another thread.
pub fn for_each_module<'a>(
    files: impl IntoIterator<Item = &'a TerraformFile>,
    mut visit: impl FnMut(PendingModule<'a>),
) {
    let mut by_dir: BTreeMap<&'a str, Vec<&'a TerraformFile>> = BTreeMap::new();
    for file in files {
        by_dir
            .entry(folder(&file.source.path))
            .or_default()
            .push(file);
    }
    for files in by_dir.values_mut() {
        files.sort_by(|a, b| a.source.path.cmp(&b.source.path));
    }
    let called: BTreeSet<String> = by_dir
        .iter()
        .flat_map(|(dir, files)| local_calls(dir, files).map(|(_, _, target)| target))
        .filter(|target| by_dir.contains_key(target.as_str()))
        .collect();
    let out = &mut visit;
    let mut instantiated: BTreeMap<&str, usize> = BTreeMap::new();
    let roots: Vec<&str> = by_dir
        .keys()
        .copied()
        .filter(|dir| !called.contains(*dir))
        .collect();
    for dir in roots {
        instantiate(&by_dir, dir, None, &mut Vec::new(), &mut instantiated, out);
    }
    let left: Vec<&str> = by_dir
        .keys()
        .copied()
        .filter(|dir| !instantiated.contains_key(dir))
        .collect();
    for dir in left {
        if !instantiated.contains_key(dir) {
            instantiate(&by_dir, dir, None, &mut Vec::new(), &mut instantiated, out);
        }
    }
}

/// Every module instance at once (small inputs and tests); scans use
/// [`for_each_module`].
pub fn modules<'a>(files: impl IntoIterator<Item = &'a TerraformFile>) -> Vec<Module<'a>> {
    let mut all = Vec::new();
    for_each_module(files, |module| all.push(module.build()));
    all
}

/// A module instance as [`for_each_module`] hands it over: its files and the call that
/// instantiates it are known, and [`PendingModule::build`] evaluates its variables.
pub struct PendingModule<'a>(Pending<'a>);

enum Pending<'a> {
    /// Built to evaluate the inputs of the calls it makes (boxed: most modules are
    /// handed over unbuilt, and the batches of them are moved between threads).
    Built(Box<Module<'a>>),
    Deferred {
        dir: &'a str,
        files: Vec<&'a TerraformFile>,
        call: Option<Call<'a>>,
    },
}

impl<'a> PendingModule<'a> {
    pub fn build(self) -> Module<'a> {
        match self.0 {
            Pending::Built(module) => *module,
            Pending::Deferred { dir, files, call } => build(dir, files, call),
        }
    }
}

/// What a call passes: the caller's file and block, the call's name and its inputs.
struct Call<'a> {
    file: &'a TerraformFile,
    block: &'a Block,
    path: String,
    inputs: HashMap<String, Value>,
}

fn instantiate<'a>(
    by_dir: &BTreeMap<&'a str, Vec<&'a TerraformFile>>,
    dir: &'a str,
    call: Option<Call<'a>>,
    stack: &mut Vec<&'a str>,
    instantiated: &mut BTreeMap<&'a str, usize>,
    out: &mut dyn FnMut(PendingModule<'a>),
) {
    let Some(files) = by_dir.get(dir) else {
        return;
    };
    let count = instantiated.entry(dir).or_default();
    if *count >= MAX_INSTANCES_PER_FOLDER {
        return;
    }
    *count += 1;
    let makes_calls = stack.len() < MAX_CALL_DEPTH && local_calls(dir, files).next().is_some();
    if !makes_calls {
        let files = files.clone();
        return out(PendingModule(Pending::Deferred { dir, files, call }));
    }
    let module = build(dir, files.clone(), call);
    // The calls this instance makes, their inputs evaluated here, before it is stored.
    let mut calls = Vec::new();
    for (file, block, target) in local_calls(dir, &module.files) {
        let Some((target_dir, _)) = by_dir.get_key_value(target.as_str()) else {
            continue;
        };
        if *target_dir == dir || stack.contains(target_dir) {
            continue;
        }
        let count = block
            .body
            .attribute("count")
            .map(|c| module.eval(&c.expr, &[]));
        if count.as_ref().and_then(Value::as_i64) == Some(0) {
            continue;
        }
        let bindings = [
            (
                "count".to_string(),
                Value::Object([("index".to_string(), Value::Unknown)].into()),
            ),
            ("each".to_string(), Value::Unknown),
        ];
        let inputs = block
            .body
            .attributes
            .iter()
            .filter(|a| !MODULE_META.contains(&a.key.as_str()))
            .map(|a| (a.key.clone(), module.eval(&a.expr, &bindings)))
            .collect();
        let name = block.labels.first().map_or("", String::as_str);
        let path = match module.call_path.as_str() {
            "" => format!("module.{name}"),
            outer => format!("{outer}.module.{name}"),
        };
        calls.push((
            *target_dir,
            Call {
                file,
                block,
                path,
                inputs,
            },
        ));
    }
    out(PendingModule(Pending::Built(Box::new(module))));
    stack.push(dir);
    for (target, call) in calls {
        instantiate(by_dir, target, Some(call), stack, instantiated, out);
    }
    stack.pop();
}

/// The module instance of `files`: variables from the call's inputs (a called module)
/// or from tfvars (a root module), then defaults; locals evaluated on demand.
fn build<'a>(dir: &'a str, files: Vec<&'a TerraformFile>, call: Option<Call<'a>>) -> Module<'a> {
    let mut locals = HashMap::new();
    let mut resources = HashMap::new();
    let mut data = HashMap::new();
    for file in files.iter().filter(|f| !f.is_tfvars()) {
        for block in file.blocks("data") {
            if let [ty, name, ..] = block.labels.as_slice() {
                data.insert((ty.as_str(), name.as_str()), (*file, block));
            }
        }
        for block in file.blocks("locals") {
            for attr in &block.body.attributes {
                locals.insert(attr.key.as_str(), &attr.expr);
            }
        }
        for block in file.blocks("resource") {
            if let [ty, name, ..] = block.labels.as_slice() {
                resources.insert((ty.as_str(), name.as_str()), block);
            }
        }
    }
    let mut module = Module {
        dir,
        files,
        call_path: String::new(),
        call: None,
        vars: HashMap::new(),
        locals,
        resources,
        data,
        evaluator: Evaluator::default(),
    };
    // Defaults and tfvars are constants: evaluated before any variable is known.
    let mut vars = HashMap::new();
    for file in module.config_files() {
        for block in file.blocks("variable") {
            if let (Some(name), Some(default)) =
                (block.labels.first(), block.body.attribute("default"))
            {
                vars.insert(name.clone(), module.eval(&default.expr, &[]));
            }
        }
    }
    match call {
        Some(call) => {
            vars.extend(call.inputs);
            module.call_path = call.path;
            module.call = Some((call.file, call.block));
        }
        None => {
            // Several tfvars files setting one variable differently (dev vs prod)
            // make it unknown.
            let mut from_tfvars: BTreeMap<String, Value> = BTreeMap::new();
            for file in module.files.iter().filter(|f| f.is_tfvars()) {
                for attr in &file.body.attributes {
                    let value = module.eval(&attr.expr, &[]);
                    from_tfvars
                        .entry(attr.key.clone())
                        .and_modify(|seen| {
                            if *seen != value {
                                *seen = Value::Unknown
                            }
                        })
                        .or_insert(value);
                }
            }
            vars.extend(from_tfvars);
        }
    }
    module.vars = vars;
    module
}

/// The local module calls of a folder's files: (file, `module` block, called folder).
fn local_calls<'a, 'f>(
    dir: &'f str,
    files: &'f [&'a TerraformFile],
) -> impl Iterator<Item = (&'a TerraformFile, &'a Block, String)> + 'f {
    files.iter().flat_map(move |file| {
        file.blocks("module").filter_map(move |block| {
            let source = block.body.attribute("source")?;
            let super::ExprKind::Literal(Value::String(source)) = &source.expr.kind else {
                return None;
            };
            if !source.starts_with("./") && !source.starts_with("../") {
                return None;
            }
            Some((*file, block, join(dir, source)?))
        })
    })
}

fn folder(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// `dir` joined with a relative `source`, normalised; `None` when it leaves the
/// scanned root.
fn join(dir: &str, source: &str) -> Option<String> {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in source.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

/// Pushes the instances of one resource block: none for `count = 0` or an empty
/// `for_each`, one per index or key when they are known, one with the index unknown
/// otherwise.
pub(super) fn expand<'a>(
    module: &'a Module<'a>,
    file: &'a TerraformFile,
    block: &'a Block,
    ty: &'a str,
    name: &'a str,
    out: &mut Vec<Resource<'a>>,
) {
    let instance = |key: Option<String>, bindings: Vec<(String, Value)>| Resource {
        module,
        file,
        source: &file.source,
        block,
        resource_type: ty,
        name,
        key,
        name_instance: false,
        bindings,
    };
    let index = |i: Value| {
        vec![(
            "count".to_string(),
            Value::Object([("index".to_string(), i)].into()),
        )]
    };
    let each = |key: Value, value: Value| {
        let each: BTreeMap<String, Value> =
            [("key".to_string(), key), ("value".to_string(), value)].into();
        vec![("each".to_string(), Value::Object(each))]
    };
    if let Some(count) = block.body.attribute("count") {
        match module.eval(&count.expr, &[]).as_i64() {
            Some(n) if n <= 0 => {}
            Some(n) if n as usize <= MAX_RESOURCE_INSTANCES => {
                for i in 0..n {
                    out.push(instance(Some(i.to_string()), index(Value::from(i))));
                }
            }
            _ => out.push(instance(None, index(Value::Unknown))),
        }
        return;
    }
    if let Some(for_each) = block.body.attribute("for_each") {
        let pairs: Option<Vec<(String, Value)>> = match module.eval(&for_each.expr, &[]) {
            Value::Object(map) => Some(map.into_iter().collect()),
            Value::List(items) => items
                .into_iter()
                .map(|item| item.as_str().map(|s| (s.to_string(), item.clone())))
                .collect(),
            _ => None,
        };
        match pairs {
            Some(pairs) if pairs.len() <= MAX_RESOURCE_INSTANCES => {
                for (key, value) in pairs {
                    out.push(instance(
                        Some(format!("{key:?}")),
                        each(Value::String(key), value),
                    ));
                }
            }
            _ => out.push(instance(None, vec![("each".to_string(), Value::Unknown)])),
        }
        return;
    }
    out.push(instance(None, Vec::new()));
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::terraform::tests::sources;

    #[test]
    fn sources_join_inside_the_root_only() {
        assert_eq!(
            join("envs/prod", "../../modules/db").as_deref(),
            Some("modules/db")
        );
        assert_eq!(join("", "./modules/db").as_deref(), Some("modules/db"));
        assert_eq!(join("", "../outside"), None);
    }

    #[test]
    fn local_modules_are_instantiated_per_call_with_the_callers_values() {
        let files = sources(&[
            (
                "main.tf",
                "variable \"public\" {\n  default = true\n}\nmodule \"db\" {\n  source = \"./modules/db\"\n  public = var.public\n}\nmodule \"replica\" {\n  source = \"./modules/db\"\n  public = false\n}\nmodule \"remote\" {\n  source = \"terraform-aws-modules/rds/aws\"\n}\n",
            ),
            (
                "modules/db/main.tf",
                "variable \"public\" {\n  default = false\n}\nresource \"aws_db_instance\" \"this\" {\n  publicly_accessible = var.public\n}\n",
            ),
        ]);
        let modules = modules(&files);
        let found: Vec<(String, String, Value)> = modules
            .iter()
            .flat_map(|m| m.resources())
            .map(|r| {
                let value = r.body().attr("publicly_accessible").unwrap().value;
                (r.address(), r.module.dir.to_string(), value)
            })
            .collect();
        assert_eq!(
            found,
            [
                (
                    "module.db.aws_db_instance.this".to_string(),
                    "modules/db".to_string(),
                    Value::Bool(true)
                ),
                (
                    "module.replica.aws_db_instance.this".to_string(),
                    "modules/db".to_string(),
                    Value::Bool(false)
                ),
            ]
        );
        let (file, block) = modules[1].call.unwrap();
        assert_eq!(
            (&*file.source.path, block.labels[0].as_str()),
            ("main.tf", "db")
        );
    }

    #[test]
    fn recursive_module_calls_stop() {
        let files = sources(&[
            (
                "a/main.tf",
                "module \"b\" {\n  source = \"../b\"\n}\nresource \"r\" \"a\" {}\n",
            ),
            (
                "b/main.tf",
                "module \"a\" {\n  source = \"../a\"\n}\nmodule \"self\" {\n  source = \"./\"\n}\nresource \"r\" \"b\" {}\n",
            ),
        ]);
        let modules = modules(&files);
        let addresses: Vec<String> = modules
            .iter()
            .flat_map(|m| m.resources())
            .map(|r| r.address())
            .collect();
        assert_eq!(addresses, ["r.a", "module.b.r.b"]);
    }

    #[test]
    fn module_calls_fanning_out_are_bounded() {
        // Each module calls the next one twice: 2^20 instances without the bounds.
        let texts: Vec<(String, String)> = (0..20)
            .map(|i| {
                let next = format!("module \"a\" {{\n  source = \"../m{}\"\n}}\nmodule \"b\" {{\n  source = \"../m{}\"\n}}\n", i + 1, i + 1);
                (format!("m{i}/main.tf"), format!("{next}resource \"r\" \"x\" {{}}\n"))
            })
            .collect();
        let refs: Vec<(&str, &str)> = texts
            .iter()
            .map(|(p, t)| (p.as_str(), t.as_str()))
            .collect();
        let files = sources(&refs);
        let modules = modules(&files);
        assert!(
            modules.len() <= MAX_INSTANCES_PER_FOLDER * 20,
            "{}",
            modules.len()
        );
        assert!(
            modules
                .iter()
                .all(|m| m.call_path.matches("module.").count() <= MAX_CALL_DEPTH)
        );
    }

    #[test]
    fn count_and_for_each_expand_into_instances() {
        let files = sources(&[(
            "main.tf",
            "variable \"n\" {\n  default = 2\n}\nvariable \"create\" {\n  default = false\n}\nresource \"r\" \"counted\" {\n  count = var.n\n  name = \"db-${count.index}\"\n}\nresource \"r\" \"skipped\" {\n  count = var.create ? 1 : 0\n}\nresource \"r\" \"each\" {\n  for_each = { a = 1, b = 2 }\n  size = each.value\n}\nresource \"r\" \"unknown\" {\n  count = var.undeclared\n  name = count.index\n}\n",
        )]);
        let modules = modules(&files);
        let found: Vec<(String, Option<String>, Value)> = modules[0]
            .resources()
            .iter()
            .map(|r| {
                let value = r
                    .body()
                    .attr("name")
                    .or_else(|| r.body().attr("size"))
                    .map_or(Value::Null, |a| a.value);
                (
                    format!("{}.{}", r.resource_type, r.name),
                    r.key.clone(),
                    value,
                )
            })
            .collect();
        assert_eq!(
            found,
            [
                ("r.counted".into(), Some("0".into()), Value::from("db-0")),
                ("r.counted".into(), Some("1".into()), Value::from("db-1")),
                ("r.each".into(), Some("\"a\"".into()), Value::from(1)),
                ("r.each".into(), Some("\"b\"".into()), Value::from(2)),
                ("r.unknown".into(), None, Value::Unknown),
            ]
        );
    }
}
