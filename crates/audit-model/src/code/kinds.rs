//! Node kinds and fields by number. `Node::kind()` measures and UTF-8-checks a C string on
//! every call and `child_by_field_name` scans the grammar's field names, which together cost
//! a large share of the build; so each grammar's ids are looked up once, into tables.

use std::sync::OnceLock;

use audit_syntax::Grammar;
use audit_syntax::tree_sitter::Node;

macro_rules! names {
    ($(#[$meta:meta])* $enum:ident, $list:ident { $($variant:ident = $name:literal,)* }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub(super) enum $enum {
            $($variant,)*
        }

        const $list: &[($enum, &str)] = &[$(($enum::$variant, $name),)*];
    };
}

names!(
    /// The named node kinds the model reads, in any of the grammars.
    Kind, KINDS {
        Other = "",
        AbstractClassDeclaration = "abstract_class_declaration",
        AliasedImport = "aliased_import",
        AmbientDeclaration = "ambient_declaration",
        ArgumentList = "argument_list",
        Arguments = "arguments",
        Array = "array",
        ArrayPattern = "array_pattern",
        ArrowFunction = "arrow_function",
        AsExpression = "as_expression",
        AsPattern = "as_pattern",
        AsPatternTarget = "as_pattern_target",
        Assignment = "assignment",
        AssignmentExpression = "assignment_expression",
        AssignmentPattern = "assignment_pattern",
        Attribute = "attribute",
        AugmentedAssignment = "augmented_assignment",
        AugmentedAssignmentExpression = "augmented_assignment_expression",
        AwaitExpression = "await_expression",
        BinaryExpression = "binary_expression",
        BinaryOperator = "binary_operator",
        BooleanOperator = "boolean_operator",
        Call = "call",
        CallExpression = "call_expression",
        CatchClause = "catch_clause",
        Class = "class",
        ClassBody = "class_body",
        ClassDeclaration = "class_declaration",
        ClassDefinition = "class_definition",
        Comment = "comment",
        ComparisonOperator = "comparison_operator",
        DecoratedDefinition = "decorated_definition",
        Decorator = "decorator",
        DefaultParameter = "default_parameter",
        Dictionary = "dictionary",
        DictionaryComprehension = "dictionary_comprehension",
        DictionarySplatPattern = "dictionary_splat_pattern",
        DottedName = "dotted_name",
        ExceptClause = "except_clause",
        ExceptGroupClause = "except_group_clause",
        ExportStatement = "export_statement",
        ExpressionList = "expression_list",
        ExpressionStatement = "expression_statement",
        FieldDefinition = "field_definition",
        ForInClause = "for_in_clause",
        ForInStatement = "for_in_statement",
        ForStatement = "for_statement",
        Function = "function",
        FunctionDeclaration = "function_declaration",
        FunctionDefinition = "function_definition",
        FunctionExpression = "function_expression",
        GeneratorExpression = "generator_expression",
        GeneratorFunction = "generator_function",
        GeneratorFunctionDeclaration = "generator_function_declaration",
        GlobalStatement = "global_statement",
        Identifier = "identifier",
        Import = "import",
        ImportClause = "import_clause",
        ImportFromStatement = "import_from_statement",
        ImportRequireClause = "import_require_clause",
        ImportStatement = "import_statement",
        InterfaceDeclaration = "interface_declaration",
        KeywordArgument = "keyword_argument",
        KeywordSeparator = "keyword_separator",
        Lambda = "lambda",
        LexicalDeclaration = "lexical_declaration",
        List = "list",
        ListComprehension = "list_comprehension",
        ListPattern = "list_pattern",
        ListSplat = "list_splat",
        ListSplatPattern = "list_splat_pattern",
        MemberExpression = "member_expression",
        MethodDefinition = "method_definition",
        NamedExpression = "named_expression",
        NamedImports = "named_imports",
        NamespaceImport = "namespace_import",
        NewExpression = "new_expression",
        NonNullExpression = "non_null_expression",
        NonlocalStatement = "nonlocal_statement",
        NotOperator = "not_operator",
        Number = "number",
        Object = "object",
        ObjectAssignmentPattern = "object_assignment_pattern",
        ObjectPattern = "object_pattern",
        OptionalParameter = "optional_parameter",
        Pair = "pair",
        PairPattern = "pair_pattern",
        ParenthesizedExpression = "parenthesized_expression",
        PatternList = "pattern_list",
        PositionalSeparator = "positional_separator",
        PrivatePropertyIdentifier = "private_property_identifier",
        PropertyIdentifier = "property_identifier",
        PublicFieldDefinition = "public_field_definition",
        Regex = "regex",
        RelativeImport = "relative_import",
        RequiredParameter = "required_parameter",
        RestPattern = "rest_pattern",
        ReturnStatement = "return_statement",
        SatisfiesExpression = "satisfies_expression",
        SetComprehension = "set_comprehension",
        ShorthandPropertyIdentifierPattern = "shorthand_property_identifier_pattern",
        StatementBlock = "statement_block",
        String = "string",
        StringContent = "string_content",
        StringEnd = "string_end",
        StringStart = "string_start",
        Subscript = "subscript",
        SubscriptExpression = "subscript_expression",
        SwitchBody = "switch_body",
        TemplateString = "template_string",
        TemplateSubstitution = "template_substitution",
        TernaryExpression = "ternary_expression",
        This = "this",
        Tuple = "tuple",
        TuplePattern = "tuple_pattern",
        Type = "type",
        TypeAliasDeclaration = "type_alias_declaration",
        TypeAnnotation = "type_annotation",
        TypeArguments = "type_arguments",
        TypeParameters = "type_parameters",
        TypedDefaultParameter = "typed_default_parameter",
        TypedParameter = "typed_parameter",
        UnaryExpression = "unary_expression",
        UnaryOperator = "unary_operator",
        VariableDeclaration = "variable_declaration",
        WildcardImport = "wildcard_import",
        WithItem = "with_item",
    }
);

names!(
    /// The fields the model reads.
    Field, FIELDS {
        Alias = "alias",
        Arguments = "arguments",
        Attribute = "attribute",
        Body = "body",
        Constructor = "constructor",
        Declaration = "declaration",
        Definition = "definition",
        Function = "function",
        Index = "index",
        Key = "key",
        Kind = "kind",
        Left = "left",
        ModuleName = "module_name",
        Name = "name",
        Object = "object",
        Operator = "operator",
        Parameter = "parameter",
        Parameters = "parameters",
        Pattern = "pattern",
        Property = "property",
        Right = "right",
        Source = "source",
        Type = "type",
        Value = "value",
    }
);

/// One grammar's ids for [`Kind`] and [`Field`].
#[derive(Debug)]
pub(super) struct Tables {
    /// Indexed by node kind id.
    kinds: Vec<Kind>,
    /// Indexed by [`Field`]; 0 when the grammar has no such field.
    fields: Vec<u16>,
}

impl Tables {
    pub(super) fn of(grammar: Grammar) -> &'static Tables {
        static TABLES: [OnceLock<Tables>; 4] = [const { OnceLock::new() }; 4];
        let slot = match grammar {
            Grammar::JavaScript => 0,
            Grammar::TypeScript => 1,
            Grammar::Tsx => 2,
            Grammar::Python => 3,
        };
        TABLES[slot].get_or_init(|| {
            let language = grammar.language();
            let mut kinds = vec![Kind::Other; language.node_kind_count()];
            for &(kind, name) in &KINDS[1..] {
                let id = language.id_for_node_kind(name, true) as usize;
                if id != 0 && id < kinds.len() {
                    kinds[id] = kind;
                }
            }
            let fields = FIELDS
                .iter()
                .map(|&(_, name)| language.field_id_for_name(name).map_or(0, |id| id.get()))
                .collect();
            Tables { kinds, fields }
        })
    }

    /// The kind of a named node; anonymous tokens are [`Kind::Other`]: symbol ids are
    /// unique across named and anonymous symbols and only named ones are in the table, so
    /// the id alone decides (without a second call to ask whether the node is named).
    pub(super) fn kind(&self, node: Node) -> Kind {
        self.kinds
            .get(node.kind_id() as usize)
            .copied()
            .unwrap_or(Kind::Other)
    }

    pub(super) fn child<'t>(&self, node: Node<'t>, field: Field) -> Option<Node<'t>> {
        match self.fields[field as usize] {
            0 => None,
            id => node.child_by_field_id(id),
        }
    }
}

/// A file's text with its grammar's tables: what reading a node needs.
#[derive(Clone, Copy)]
pub(super) struct Source<'t> {
    pub(super) tables: &'static Tables,
    pub(super) text: &'t str,
}

impl<'t> Source<'t> {
    pub(super) fn kind(self, node: Node) -> Kind {
        self.tables.kind(node)
    }

    pub(super) fn child(self, node: Node<'t>, field: Field) -> Option<Node<'t>> {
        self.tables.child(node, field)
    }

    /// A field the grammar writes first (a call's callee, a member's object): the first
    /// named child when it starts the node, found without scanning the production's field
    /// map; the map answers when a comment comes first.
    pub(super) fn first_field(self, node: Node<'t>, field: Field) -> Option<Node<'t>> {
        match node.named_child(0) {
            Some(first) if !first.is_extra() && first.start_byte() == node.start_byte() => {
                Some(first)
            }
            _ => self.child(node, field),
        }
    }

    /// A field the grammar writes last (a member's property, a call's arguments): the last
    /// named child when it is of one of `kinds`; the field map answers otherwise.
    pub(super) fn last_field(
        self,
        node: Node<'t>,
        field: Field,
        kinds: &[Kind],
    ) -> Option<Node<'t>> {
        let last = (node.named_child_count() as u32)
            .checked_sub(1)
            .and_then(|i| node.named_child(i));
        match last {
            Some(last) if kinds.contains(&self.kind(last)) => Some(last),
            _ => self.child(node, field),
        }
    }

    pub(super) fn text(self, node: Node) -> &'t str {
        &self.text[node.byte_range()]
    }
}
