import 'aws-sdk-client-mock-vitest/extend';
import { allCustomMatcherWithAliases } from 'aws-sdk-client-mock-vitest';
import { expect } from 'vitest';

expect.extend(allCustomMatcherWithAliases);
