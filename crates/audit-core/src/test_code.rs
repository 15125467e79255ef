//! What counts as test code: one definition that every rule's `tests` setting reads.

/// Folder names that hold tests, fixtures or test data.
const TEST_DIRS: &[&str] = &[
    "test",
    "tests",
    "__tests__",
    "__mocks__",
    "spec",
    "specs",
    // Python test-support packages (`utilities/testing/`, like `numpy.testing`): base
    // test cases and factories with made-up credentials.
    "testing",
    "e2e",
    "fixtures",
    "testdata",
    "test-data",
    "test_data",
];

/// Whether a root-relative path (forward slashes) is test code: under a test folder,
/// or named as a test (`test_*.py`, `*_test.py`, Django's `tests.py`, `conftest.py`,
/// `*.test.*`, `*.spec.*`, `*.e2e-spec.*`, and Storybook's `*.stories.*`, demo code
/// with made-up values like tests').
pub fn is_test_path(path: &str) -> bool {
    let mut parts = path.rsplit('/');
    let file = parts.next().unwrap_or("");
    let stem = file.split('.').next().unwrap_or("");
    let named_as_test = file.split('.').skip(1).any(|part| {
        matches!(
            part,
            "test" | "spec" | "e2e-spec" | "e2e" | "stories" | "story"
        )
    }) || (file.ends_with(".py")
        && (stem.starts_with("test_")
            || stem.ends_with("_test")
            || matches!(stem, "conftest" | "tests")));
    named_as_test || parts.any(|dir| TEST_DIRS.contains(&dir))
}

#[cfg(test)]
mod tests {
    use super::is_test_path;

    #[test]
    fn test_folders_and_names() {
        for path in [
            "test/app.js",
            "tests/e2e_zap.py",
            "src/__tests__/server.ts",
            "src/orders.spec.ts",
            "src/orders.test.js",
            "apps/api/test/app.e2e-spec.ts",
            "app/test_views.py",
            "app/views_test.py",
            "shop/tests.py",
            "conftest.py",
            "e2e/login.ts",
            "fixtures/payload.py",
            "internal/testdata/001.sql",
            "netbox/utilities/testing/views.py",
            "src/components/CodeBlock.stories.tsx",
        ] {
            assert!(is_test_path(path), "{path}");
        }
    }

    #[test]
    fn production_code_is_not_test_code() {
        for path in [
            "src/server.ts",
            "src/testing-utils/server.ts",
            "src/latest.ts",
            "app/contest.py",
            "app/attestation.py",
            "src/test_helpers.ts",
            "protest/views.py",
            "src/stories/feed.ts",
            "src/history.ts",
        ] {
            assert!(!is_test_path(path), "{path}");
        }
    }
}
