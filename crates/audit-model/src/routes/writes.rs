//! Whether a handler writes: the calls in its body that create, change or delete stored
//! data, told apart by method and receiver from the many calls that share those words
//! (`map.delete(k)`, `dict.update(d)`, `Object.create(p)`).

use audit_core::Span;

use crate::code::CodeSemantics;

/// Methods that write whatever they are called on: ORM and driver calls.
const WRITES: &[&str] = &[
    "save",
    "destroy",
    "insert",
    "insertOne",
    "insertMany",
    "updateOne",
    "updateMany",
    "deleteOne",
    "deleteMany",
    "replaceOne",
    "findByIdAndUpdate",
    "findOneAndUpdate",
    "findByIdAndDelete",
    "findOneAndDelete",
    "findByIdAndRemove",
    "findOneAndRemove",
    "bulkCreate",
    "bulk_create",
    "bulk_update",
    "upsert",
    "update_or_create",
    "get_or_create",
];

/// Methods that write only on a model, repository or session: `User.update()`,
/// `userRepository.delete()`, `prisma.user.create()`, `db.session.add()`,
/// `Post.objects.filter(...).update()`.
const MODEL_WRITES: &[&str] = &["create", "update", "delete", "remove", "add", "commit"];

/// Capitalised globals whose `create`/`delete` write nothing.
const NOT_MODELS: &[&str] = &[
    "Object", "Math", "Date", "Promise", "Symbol", "Array", "Buffer", "URL", "JSON", "Reflect",
    "Map", "Set", "WeakMap", "Intl", "React", "Vue", "Response", "Request", "Headers", "Blob",
];

/// Methods that create a record: on anything (`create` on a model, repository or client),
/// `save` on a repository (TypeORM's insert), `add` on an ORM session.
const CREATES: &[&str] = &[
    "insert",
    "insertOne",
    "insertMany",
    "bulkCreate",
    "bulk_create",
    "get_or_create",
];

/// The first call in `body` that creates a record: what a POST handler answering 200
/// instead of 201 does.
pub(super) fn first_create(sem: &CodeSemantics, text: &str, body: Span) -> Option<Span> {
    sem.calls_in(body)
        .iter()
        .find(|c| {
            let callee = &text[c.callee.start..c.callee.end];
            let Some((receiver, method)) = callee.rsplit_once('.') else {
                return false;
            };
            let lower = receiver.to_ascii_lowercase();
            CREATES.contains(&method)
                || method == "create" && is_model(receiver)
                || method == "save" && (lower.ends_with("repository") || lower.ends_with("repo"))
                || method == "add" && lower.ends_with("session")
        })
        .map(|c| c.span)
}

/// The first call in `body` that writes stored data.
pub(super) fn first_write(sem: &CodeSemantics, text: &str, body: Span) -> Option<Span> {
    sem.calls_in(body)
        .iter()
        .find(|c| {
            let callee = &text[c.callee.start..c.callee.end];
            let Some((receiver, method)) = callee.rsplit_once('.') else {
                return false;
            };
            // A session saved is the visitor's, not stored data.
            let session = ["req.session", "request.session", "ctx.session"]
                .iter()
                .any(|s| receiver.starts_with(s));
            !session
                && (WRITES.contains(&method)
                    || MODEL_WRITES.contains(&method) && is_model(receiver))
        })
        .map(|c| c.span)
}

/// The last words of classes that carry values rather than store them:
/// `GetChangesCommand.create({...})` builds a command object, `UserDto.create()` a DTO.
const VALUE_CLASSES: &[&str] = &[
    "Command",
    "Query",
    "Dto",
    "DTO",
    "Event",
    "Error",
    "Exception",
    "Builder",
    "Schema",
    "Options",
    "Config",
    "Params",
    "Payload",
    "Input",
    "Args",
    "Context",
    "Message",
];

/// A receiver that stores: a model class, a repository, an ORM session or client.
pub(super) fn is_model(receiver: &str) -> bool {
    let last = receiver.rsplit('.').next().unwrap_or(receiver);
    let last = last.split('(').next().unwrap_or(last);
    if NOT_MODELS.contains(&last)
        || VALUE_CLASSES
            .iter()
            .any(|word| last.len() > word.len() && last.ends_with(word))
    {
        return false;
    }
    let lower = receiver.to_ascii_lowercase();
    last.starts_with(|c: char| c.is_ascii_uppercase()) && !last.chars().all(|c| !c.is_lowercase())
        || lower.ends_with("repository")
        || lower.ends_with("repo")
        || lower.ends_with("model")
        || lower.contains("objects")
        || lower.ends_with("session")
        || lower.starts_with("prisma.")
        || lower.contains(".prisma.")
}

#[cfg(test)]
mod tests {
    use super::is_model;

    #[test]
    fn models_are_told_from_maps_and_globals() {
        for yes in [
            "User",
            "userRepository",
            "this.usersRepo",
            "db.session",
            "Post.objects.filter(author=user)",
            "prisma.user",
            "this.prisma.task",
            "OrderModel",
        ] {
            assert!(is_model(yes), "{yes}");
        }
        for no in [
            "cache",
            "map",
            "Object",
            "params",
            "headers",
            "JSON",
            "API_KEYS",
            "req.query",
            "GetChangesCommand",
            "CreateUserDto",
            "OrderCreatedEvent",
        ] {
            assert!(!is_model(no), "{no}");
        }
    }
}
