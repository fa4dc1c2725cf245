"""The embedded sandbox: moto's server (DynamoDB, Streams, ElastiCache, EC2 control planes) plus real redis-server
primary, replica and sentinel processes on free loopback ports."""
