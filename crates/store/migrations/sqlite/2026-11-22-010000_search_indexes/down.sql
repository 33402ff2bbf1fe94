DROP INDEX resources_search;
