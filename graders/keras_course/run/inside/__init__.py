"""What runs inside the sandbox, beside the learner's code: the fork server's own half and the
check service's client. The grader trusts nothing that comes out of here but what it checks."""
