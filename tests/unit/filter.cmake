# Unit tests of src/filter/ (parser, AST helpers, operators, compiler).
sk_unit_test(test_filter_parse sk_filter)
